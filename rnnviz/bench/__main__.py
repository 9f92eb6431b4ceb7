from rnnviz.bench.engine import main

raise SystemExit(main())
