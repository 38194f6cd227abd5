from __future__ import annotations

import accord
import accord.model


def test_all_lists_exactly_the_public_names() -> None:
    for module in (accord, accord.model):
        public = {n for n in vars(module) if not n.startswith("_")}
        public -= {n for n in public if type(getattr(module, n)).__name__ == "module"}
        public -= {"annotations"}
        assert sorted(module.__all__) == sorted(public | {"__version__"} & set(module.__all__))
