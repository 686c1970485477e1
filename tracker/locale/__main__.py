"""python -m tracker.locale [LANG]: bring a catalogue (zh unless told) up to the code's messages
and list what is left to translate (README: "Messages and languages")."""

import sys

from .extract import po_path, update


def main(lang: str) -> int:
    missing = update(lang)
    print(f"{po_path(lang)}: {len(missing)} to translate")
    for message in missing:
        print("  " + message.replace("\n", "\\n"))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "zh"))
