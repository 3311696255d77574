#!/usr/bin/env python3
"""Regenerates services/Directory/Accounts/Pinyin/readings.txt, the pinyin readings of CJK characters that the
first sign-in (ID number + the name's full pinyin) checks against.

Source: Unihan_Readings.txt from the Unicode Character Database (Debian: apt-get install unicode-data, which puts it
at /usr/share/unicode/Unihan_Readings.txt.bz2). Only needed to regenerate; the service embeds the generated file.

Every reading of kMandarin, kHanyuPinyin, kXHC1983 and kTGHZ2013 counts, so that the surname readings of
polyphonic characters (曾 zeng, 单 shan, 区 ou, 朴 piao …) are there. Tone marks are stripped to plain a-z and
ü becomes v (the service also accepts u for it). Only CJK Unified Ideographs and Extension A are kept (all in the
Basic Multilingual Plane). The output is grouped by reading, one line each: the reading, a tab, its characters in
code point order. Deterministic: the same input always gives the same file.

usage: scripts/generate-pinyin-table.py [Unihan_Readings.txt[.bz2]] [output]
"""
import bz2
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

FIELDS = {"kMandarin", "kHanyuPinyin", "kXHC1983", "kTGHZ2013"}
RANGES = [(0x3400, 0x4DBF), (0x4E00, 0x9FFF)]  # Extension A, CJK Unified Ideographs
DEFAULT_SOURCE = "/usr/share/unicode/Unihan_Readings.txt.bz2"
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "services/Directory/Accounts/Pinyin/readings.txt"

# The permission notice of the Unicode data files, which must travel with any copy of (data derived from) them.
PERMISSION_NOTICE = """\
Permission is hereby granted, free of charge, to any person obtaining a copy of the Unicode data files and any
associated documentation (the "Data Files") or Unicode software and any associated documentation (the "Software")
to deal in the Data Files or Software without restriction, including without limitation the rights to use, copy,
modify, merge, publish, distribute, and/or sell copies of the Data Files or Software, and to permit persons to whom
the Data Files or Software are furnished to do so, provided that either (a) this copyright and permission notice
appear with all copies of the Data Files or Software, or (b) this copyright and permission notice appear in
associated Documentation.

THE DATA FILES AND SOFTWARE ARE PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT OF THIRD
PARTY RIGHTS. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR HOLDERS INCLUDED IN THIS NOTICE BE LIABLE FOR ANY CLAIM, OR
ANY SPECIAL INDIRECT OR CONSEQUENTIAL DAMAGES, OR ANY DAMAGES WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR
PROFITS, WHETHER IN AN ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF OR IN CONNECTION
WITH THE USE OR PERFORMANCE OF THE DATA FILES OR SOFTWARE.

Except as contained in this notice, the name of a copyright holder shall not be used in advertising or otherwise
to promote the sale, use or other dealings in these Data Files or Software without prior written authorization of
the copyright holder."""


def plain(reading):
    """lǚ → lv, zhā → zha, ê̄ → e, ńg → ng."""
    decomposed = unicodedata.normalize("NFD", reading.lower()).replace("u\u0308", "v")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    if not re.fullmatch(r"[a-z]+", stripped):
        raise ValueError(f"unexpected reading {reading!r}")
    return stripped


def readings_of(field, value):
    """kMandarin: 'dān'; the dictionary fields: 'loc:reading,reading loc:reading' (loc may carry a '*')."""
    for entry in value.split():
        yield from (entry.split(":", 1)[1] if field != "kMandarin" else entry).split(",")


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SOURCE
    output = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_OUTPUT
    opener = bz2.open if source.endswith(".bz2") else open
    by_reading = defaultdict(set)
    header = []
    with opener(source, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                if re.match(r"# (Unicode version|Date):", line):
                    header.append(line[2:].strip())
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or parts[1] not in FIELDS:
                continue
            code = int(parts[0][2:], 16)
            if not any(lo <= code <= hi for lo, hi in RANGES):
                continue
            for reading in readings_of(parts[1], parts[2]):
                by_reading[plain(reading)].add(code)

    characters = set().union(*by_reading.values())
    with open(output, "w", encoding="utf-8", newline="\n") as out:
        out.write("# Pinyin readings of CJK Unified Ideographs (U+4E00-U+9FFF) and Extension A (U+3400-U+4DBF),\n")
        out.write("# without tones (ü written v), one reading a line: the reading, a tab, its characters.\n")
        out.write(f"# {len(characters)} characters, {len(by_reading)} readings.\n")
        out.write("# Generated by scripts/generate-pinyin-table.py; do not edit by hand.\n#\n")
        out.write("# Derived (modified: tones removed, regrouped by reading) from Unihan_Readings.txt of the Unicode\n")
        out.write("# Character Database, fields kMandarin, kHanyuPinyin, kXHC1983 and kTGHZ2013.\n")
        for line in header:
            out.write(f"# {line}\n")
        out.write("# Copyright © 1991-2022 Unicode, Inc. All rights reserved.\n")
        out.write("# Distributed under the Terms of Use in https://www.unicode.org/copyright.html.\n#\n")
        for line in PERMISSION_NOTICE.splitlines():
            out.write(f"# {line}".rstrip() + "\n")
        for reading in sorted(by_reading):
            out.write(reading + "\t" + "".join(chr(c) for c in sorted(by_reading[reading])) + "\n")
    print(f"{output}: {len(characters)} characters, {len(by_reading)} readings, {output.stat().st_size} bytes")


if __name__ == "__main__":
    main()
