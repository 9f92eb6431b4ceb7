import sys

from rnnviz.blas import prefer_one_blas_thread

prefer_one_blas_thread()  # measure what the app runs with: before NumPy is imported

if sys.argv[1:2] == ["frames"]:
    from rnnviz.bench.frames import main

    raise SystemExit(main(sys.argv[2:]))
else:
    from rnnviz.bench.engine import main

    raise SystemExit(main())
