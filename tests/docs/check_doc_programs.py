#!/usr/bin/env python3
"""Checks that a document shows each program of a folder whole and as it is: every
FOLDER/*.cpp must stand in DOC as one ```cpp block with the same text, so that the
programs the document shows are the ones the build compiles and the tests run.

    check_doc_programs.py DOC FOLDER
"""
import pathlib
import re
import sys

doc, folder = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
blocks = re.findall(r"^```cpp\n(.*?)^```$", doc.read_text(), re.S | re.M)
failures = 0
for program in sorted(folder.glob("*.cpp")):
    text = program.read_text()
    if text in blocks:
        print(f"{program.name}: shown whole in {doc.name}")
        continue
    failures += 1
    near = [b for b in blocks if program.name in b.splitlines()[0]] if blocks else []
    why = "differs from the file" if near else "is not shown"
    print(f"{program.name}: FAILED {why} in {doc.name} (copy the file into its ```cpp block)")
sys.exit(1 if failures else 0)
