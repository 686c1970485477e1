"""python -m tracker.locale: bring the Chinese catalogue up to the code's messages and list
what is left to translate (README: "Messages and languages")."""

import sys

from .extract import po_path, update

lang = sys.argv[1] if len(sys.argv) > 1 else "zh"
missing = update(lang)
print(f"{po_path(lang)}: {len(missing)} to translate")
for message in missing:
    print("  " + message.replace("\n", "\\n"))
sys.exit(1 if missing else 0)
