"""Reading SASS (``cub_bindings.inspect``'s ``KernelBuild.sass()``) in tests."""

import re

_INSTRUCTION = re.compile(r"/\*[0-9a-f]{4}\*/")
_OPCODE = re.compile(r"\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9.]*)")


def opcodes(sass: str) -> list[str]:
    """The opcode of each instruction, in order, predicates dropped, without the NOP padding."""
    ops = [_OPCODE.search(line) for line in sass.splitlines() if _INSTRUCTION.search(line)]
    return [m.group(1) for m in ops if m and m.group(1) != "NOP"]
