"""Use cases. Each public function is one transaction, begun in `runtime.transaction`."""
