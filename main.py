"""Start rnnviz from a source checkout: ``python main.py`` does what ``rnnviz`` does."""

from rnnviz.cli import main

raise SystemExit(main())
