"""The stages and decisions of an orchestration as a graph: where a run can go from each,
which nodes no run reaches, and loops no run leaves."""

from stageflow.definitions.model import Decision, Loc, Orchestration, Stage
from stageflow.definitions.validate_common import problem_at
from stageflow.errors import Problem


class StageGraph:
    def __init__(self, o: Orchestration) -> None:
        self.o = o
        self.node_names = {n.name for n in o.nodes}
        self._problems: list[Problem] = []

    def _add(self, loc: Loc, message: str, field_path: str) -> None:
        self._problems.append(problem_at(loc, message, field_path))

    def successors(self, name: str) -> list[str]:
        node = self.o.node(name)
        if isinstance(node, Decision):
            targets = [x.next for x in node.outcomes] + [node.default]
            return [t for t in targets if t is not None and t in self.node_names]
        nxt = self.o.next_after(node)
        return [nxt] if nxt is not None and nxt in self.node_names else []

    def problems(self) -> list[Problem]:
        """Nodes no run reaches, and loops no run leaves."""
        self._problems = []
        if not self.o.nodes:
            return []
        seen = {self.o.nodes[0].name}
        todo = [self.o.nodes[0].name]
        while todo:
            for succ in self.successors(todo.pop()):
                if succ not in seen:
                    seen.add(succ)
                    todo.append(succ)
        for node in self.o.nodes:
            if node.name not in seen:
                kind = "stage" if isinstance(node, Stage) else "decision"
                self._add(
                    node.loc, f"{kind} {node.name!r} can never be reached", f"stages[{node.name}]"
                )
        before = len(self._problems)
        self._decision_loops()
        if len(self._problems) == before:  # a loop of decisions is reported as such only
            self._endless(seen)
        return self._problems

    def ends(self, name: str) -> bool:
        """Whether the run may end right after this node (no next stage, or a decision's
        outcome or default that names none). An unknown target counts as one: it is reported
        as such already."""
        node = self.o.node(name)
        if isinstance(node, Decision):
            targets = [x.next for x in node.outcomes] + [node.default]
        else:
            targets = [self.o.next_after(node)]
        return any(t is None or t not in self.node_names for t in targets)

    def _endless(self, reachable: set[str]) -> None:
        """Stages (and decisions) that lead only to each other: a run that gets there never
        ends. Only a decision's outcome or a stage's `next` can lead out of a loop."""
        can_end = {n for n in reachable if self.ends(n)}
        grew = True
        while grew:
            grew = False
            for n in reachable - can_end:
                if any(s in can_end for s in self.successors(n)):
                    can_end.add(n)
                    grew = True
        stuck = [n.name for n in self.o.nodes if n.name in reachable - can_end]
        if not stuck:
            return
        trail = [stuck[0]]
        while (nxt := next(s for s in self.successors(trail[-1]) if s in stuck)) not in trail:
            trail.append(nxt)
        cycle = " -> ".join([*trail[trail.index(nxt) :], nxt])
        self._add(
            self.o.node(stuck[0]).loc,
            f"a run that reaches {stuck[0]!r} never ends: {cycle} loops with no way out "
            "(a decision with an outcome that leaves the loop, or a `next` out of it)",
            f"stages[{stuck[0]}]",
        )

    def _decision_loops(self) -> None:
        """Decisions that lead only to each other would loop forever without a stage between."""
        decisions = {n.name for n in self.o.nodes if isinstance(n, Decision)}
        for start in sorted(decisions):
            trail, node = [start], start
            while True:
                nexts = [s for s in self.successors(node) if s in decisions]
                if len(nexts) != len(self.successors(node)) or not nexts:
                    break  # some way out reaches a stage (or the end)
                node = nexts[0]
                if node in trail:
                    cycle = " -> ".join([*trail[trail.index(node) :], node])
                    first = self.o.node(start)
                    self._add(first.loc, f"decisions lead only to each other: {cycle}",
                              f"stages[{start}]")  # fmt: skip
                    return
                trail.append(node)
