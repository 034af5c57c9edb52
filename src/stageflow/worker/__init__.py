"""The worker: carries out outbox messages (asynchronous steps, published events)."""
