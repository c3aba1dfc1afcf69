import sys

from bindgen.cli import main

sys.exit(main())
