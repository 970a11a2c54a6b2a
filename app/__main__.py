from latentbrush.main import main

raise SystemExit(main())
