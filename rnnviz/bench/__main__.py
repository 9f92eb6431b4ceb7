import sys

if sys.argv[1:2] == ["frames"]:
    from rnnviz.bench.frames import main

    raise SystemExit(main(sys.argv[2:]))

from rnnviz.bench.engine import main

raise SystemExit(main())
