#!/usr/bin/env python3
"""Generate the C++ form of the omx system call table.

Reads schema/syscalls_x86_64.tsv (one row per x86-64 system call: number, name, class, local
guard, argument description, note; the file header documents the notation) and
schema/syscall_types_x86_64.tsv (sizes of the kernel structures the table names), validates
every row, and writes a header with

  * omx::syscall::generated::kTable, a constexpr SyscallInfo array indexed by number
    (holes have name == nullptr), and kByName, the (name, number) pairs sorted by name;
  * static_asserts that each number equals SYS_<name> from <sys/syscall.h> where the build
    machine's headers define it, that each structure size equals sizeof its C type, and that
    the array is indexed by number.

With --unistd PATH it also checks the other direction: every __NR_<name> that asm/unistd_64.h
defines must be a row with the same number.

A malformed row is reported as `FILE:LINE: reason` on stderr (all of them, not only the first)
and the exit status is 1; the output file is then left untouched.

Standard library only; run by CMake (src/syscall/CMakeLists.txt) whenever an input changes.
"""

import argparse
import os
import re
import sys

MAX_ARGS = 6
MAX_NUMBER = 1023  # x86-64 numbers stay below the x32 bit by far; anything above is a typo
MAX_GUARD_RANGES = 4

CLASSES = {
    "local": "kLocal",
    "emulated": "kEmulated",
    "forwarded": "kForwarded",
    "special": "kSpecial",
    "home": "kHome",
}

# Argument kinds without a parameter.
PLAIN_KINDS = {
    "val": "kVal",
    "fd": "kFd",
    "pid": "kPid",
    "ptr": "kPtr",
    "path": "kPath",
    "cstr": "kCStr",
    "cstr_array": "kCStrArray",
    "msghdr_in": "kMsghdrIn",
    "msghdr_out": "kMsghdrOut",
    "irregular": "kIrregular",
}
# Buffer kinds: KIND:LEN[:VALID].
BUFFER_KINDS = {"in": "kIn", "out": "kOut", "inout": "kInOut"}
# Kinds whose parameter is an argument index aN (element count or byte length).
INDEX_KINDS = {
    "iov_in": "kIovIn",
    "iov_out": "kIovOut",
    "sockaddr_in": "kSockaddrIn",
    "sockaddr_out": "kSockaddrOut",
    "mmsghdr_in": "kMmsghdrIn",
    "mmsghdr_out": "kMmsghdrOut",
}

# Headers that define the macro names guards may use (MAP_*, CLOCK_*, FUTEX_*).
GUARD_HEADERS = ["sys/mman.h", "time.h", "linux/futex.h"]

NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
TYPE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
VALUE_RE = re.compile(r"^(-?[0-9]+|0x[0-9a-fA-F]+|[A-Z_][A-Z0-9_]*)$")
VAR_RE = re.compile(r"^(a[0-9]|\*a[0-9]|ret|bits\(a[0-9]\))$")


class SchemaError(Exception):
    """A problem in an input file, reported as FILE:LINE: reason."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class Len:
    """A byte count as in the table: kind (const/arg/arg_deref/ret/arg_bits), arg, count,
    unit (bytes per element) and the structure name the unit came from."""

    def __init__(self, kind, arg=0, count=0, unit=1, unit_name=None):
        self.kind, self.arg, self.count, self.unit, self.unit_name = (
            kind, arg, count, unit, unit_name)

    def cpp(self):
        kinds = {"const": "kConst", "arg": "kArg", "arg_deref": "kArgDeref", "ret": "kRet",
                 "arg_bits": "kArgBits"}
        name = cpp_string(self.unit_name) if self.unit_name else "nullptr"
        return "{LenKind::%s, %d, %d, %d, %s}" % (
            kinds[self.kind], self.arg, self.count, self.unit, name)


def cpp_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ----------------------------------------------------------------------------------------------
# Structure sizes.

def read_types(path):
    """Returns {name: (size, c_type or None, header or None, line)}."""
    types = {}
    errors = []
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            try:
                name, size, c_type, header = parse_type_row(line, types)
                types[name] = (size, c_type, header, lineno)
            except SchemaError as e:
                errors.append("%s:%d: %s" % (path, lineno, e.reason))
    return types, errors


def parse_type_row(line, types):
    fields = line.split("\t")
    if len(fields) != 5:
        raise SchemaError("expected 5 TAB-separated fields (name size c_type header note), "
                          "found %d" % len(fields))
    name, size, c_type, header, _ = fields
    if not TYPE_NAME_RE.match(name) or VAR_RE.match(name) or name == "bits":
        raise SchemaError("bad structure name %r (it would read as a length expression)" % name)
    if name in types:
        raise SchemaError("structure %r listed twice (first at line %d)" % (name, types[name][3]))
    if not re.match(r"^[1-9][0-9]*$", size):
        raise SchemaError("size of %s must be a positive integer, not %r" % (name, size))
    if (c_type == "-") != (header == "-"):
        raise SchemaError("c_type and header must both be `-` or both be given")
    return name, int(size), None if c_type == "-" else c_type, None if header == "-" else header


# ----------------------------------------------------------------------------------------------
# Length expressions, argument tokens, guards.

def parse_len(text, types, specs, self_index, allow_ret):
    """Parses LEN; `specs` are the raw tokens of the row, used to check referenced arguments."""
    if re.match(r"^[0-9]+$", text):
        if int(text) == 0:
            raise SchemaError("length 0 in %r" % text)
        return Len("const", count=int(text))
    m = re.match(r"^([a-z][a-z0-9_]*)(?:\*([0-9]+))?$", text)
    if m and not VAR_RE.match(m.group(1)):
        name = m.group(1)
        if name not in types:
            raise SchemaError("unknown structure %r (add it to syscall_types_x86_64.tsv)" % name)
        count = int(m.group(2)) if m.group(2) else 1
        if count == 0:
            raise SchemaError("array of 0 %s" % name)
        return Len("const", count=count, unit=types[name][0], unit_name=name)
    if text.startswith("*"):  # *aN, the int argument N points to
        head, sep, scale = text[1:].partition("*")
        base = "*" + head
    else:
        base, sep, scale = text.partition("*")
    if not VAR_RE.match(base) or (sep and not scale):
        raise SchemaError("bad length %r (INT, NAME, NAME*INT, aN, *aN, ret, bits(aN), "
                          "optionally times INT or NAME)" % text)
    length = len_variable(base, types, specs, self_index, allow_ret, text)
    if scale:
        if length.kind == "arg_bits":
            raise SchemaError("bits(aN) cannot be scaled in %r" % text)
        if re.match(r"^[1-9][0-9]*$", scale):
            length.unit = int(scale)
        elif TYPE_NAME_RE.match(scale) and scale in types:
            length.unit, length.unit_name = types[scale][0], scale
        else:
            raise SchemaError("bad element size %r in %r (INT or a structure name)" % (scale, text))
    return length


def len_variable(base, types, specs, self_index, allow_ret, text):
    if base == "ret":
        if not allow_ret:
            raise SchemaError("`ret` is only allowed in VALID (the second length) in %r" % text)
        return Len("ret")
    index = int(re.search(r"[0-9]", base).group(0))
    check_ref(index, specs, self_index, text)
    target = specs[index]
    if base.startswith("*"):
        if target != "inout:4":
            raise SchemaError("%r reads the int argument %d points to, so argument %d must be "
                              "`inout:4`, not %r" % (text, index, index, target))
        return Len("arg_deref", arg=index)
    if target != "val":
        raise SchemaError("%r takes its length from argument %d, which must be `val`, not %r"
                          % (text, index, target))
    return Len("arg_bits" if base.startswith("bits") else "arg", arg=index)


def check_ref(index, specs, self_index, text):
    if index >= len(specs):
        raise SchemaError("%r refers to argument %d but the call has %d arguments"
                          % (text, index, len(specs)))
    if index == self_index:
        raise SchemaError("%r refers to itself" % text)


def parse_arg(token, types, specs, index):
    """Returns a C++ ArgSpec initializer for one argument token."""
    if token in PLAIN_KINDS:
        return "{ArgKind::%s, {}, {}}" % PLAIN_KINDS[token]
    kind, sep, rest = token.partition(":")
    if not sep or not rest:
        raise SchemaError("unknown argument kind %r" % token)
    if kind in BUFFER_KINDS:
        room, _, valid = rest.partition(":")
        if kind == "in" and valid:
            raise SchemaError("%r: an `in` buffer has no VALID length" % token)
        room_len = parse_len(room, types, specs, index, allow_ret=False)
        valid_len = parse_len(valid, types, specs, index, allow_ret=True) if valid else None
        return "{ArgKind::%s, %s, %s}" % (
            BUFFER_KINDS[kind], room_len.cpp(), valid_len.cpp() if valid_len else "{}")
    if kind in INDEX_KINDS:
        if not re.match(r"^a[0-9]$", rest):
            raise SchemaError("%r: %s takes an argument index aN" % (token, kind))
        arg = int(rest[1])
        check_ref(arg, specs, index, token)
        want = "inout:4" if kind == "sockaddr_out" else "val"
        if specs[arg] != want:
            raise SchemaError("%r: argument %d must be `%s`, not %r"
                              % (token, arg, want, specs[arg]))
        if kind == "sockaddr_out":
            deref = Len("arg_deref", arg=arg).cpp()
            return "{ArgKind::kSockaddrOut, %s, %s}" % (deref, deref)
        return "{ArgKind::%s, %s, {}}" % (INDEX_KINDS[kind], Len("arg", arg=arg).cpp())
    raise SchemaError("unknown argument kind %r" % kind)


def parse_value(text):
    if not VALUE_RE.match(text):
        raise SchemaError("bad guard value %r (integer or MACRO_NAME)" % text)
    if re.match(r"^-?[0-9]+$", text):
        return int(text), text
    if text.startswith("0x"):
        return int(text, 16), text
    return None, text  # a macro, resolved by the compiler


def parse_guard(text, nargs):
    """Returns (C++ LocalGuard initializer, [range-order static_asserts])."""
    m = re.match(r"^a([0-9])(?:&(\S+))?(?: in (\S+))?$", text)
    if not m or not (m.group(2) or m.group(3)):
        raise SchemaError("bad local_if %r (aN&MASK, aN in SET or aN&MASK in SET)" % text)
    arg = int(m.group(1))
    if arg >= nargs:
        raise SchemaError("local_if %r refers to argument %d but the call has %d arguments"
                          % (text, arg, nargs))
    mask = parse_value(m.group(2))[1] if m.group(2) else "0xffffffff"
    if not m.group(3):
        return ("{GuardOp::kAnyBit, %d, static_cast<uint32_t>(%s), 0, {}, %s}"
                % (arg, mask, cpp_string(text)), [])
    ranges, asserts = [], []
    for item in m.group(3).split(","):
        lo_text, sep, hi_text = item.partition("..")
        lo, lo_c = parse_value(lo_text)
        hi, hi_c = parse_value(hi_text) if sep else (lo, lo_c)
        if lo is not None and hi is not None and lo > hi:
            raise SchemaError("empty range %r in local_if" % item)
        if sep and (lo is None or hi is None):
            asserts.append("static_assert((%s) <= (%s), %s);"
                           % (lo_c, hi_c, cpp_string("local_if range " + item)))
        ranges.append("{%s, %s}" % (lo_c, hi_c))
    if len(ranges) > MAX_GUARD_RANGES:
        raise SchemaError("local_if has %d ranges; at most %d" % (len(ranges), MAX_GUARD_RANGES))
    return ("{GuardOp::kInSet, %d, static_cast<uint32_t>(%s), %d, {%s}, %s}"
            % (arg, mask, len(ranges), ", ".join(ranges), cpp_string(text)), asserts)


# ----------------------------------------------------------------------------------------------
# Table rows.

class Row:
    def __init__(self, lineno, first, last, name, cls, guard, args, note, asserts):
        self.lineno, self.first, self.last, self.name, self.cls = lineno, first, last, name, cls
        self.guard, self.args, self.note, self.asserts = guard, args, note, asserts


def parse_number(text, cls):
    m = re.match(r"^([0-9]+)(?:\.\.([0-9]+))?$", text)
    if not m:
        raise SchemaError("bad number %r" % text)
    first = int(m.group(1))
    last = int(m.group(2)) if m.group(2) else first
    if m.group(2) and cls != "hole":
        raise SchemaError("a number range is only allowed in a `hole` row")
    if last < first or last > MAX_NUMBER:
        raise SchemaError("bad number range %r" % text)
    return first, last


def parse_row(line, lineno, types):
    fields = line.split("\t")
    if len(fields) != 6:
        raise SchemaError("expected 6 TAB-separated fields (nr name class local_if args note), "
                          "found %d" % len(fields))
    nr, name, cls, guard, args, note = (f.strip() for f in fields)
    if cls != "hole" and cls not in CLASSES:
        raise SchemaError("unknown class %r (one of %s, hole)" % (cls, ", ".join(CLASSES)))
    first, last = parse_number(nr, cls)
    if not note:
        raise SchemaError("empty note (write `-` for none)")
    if cls == "hole":
        if name != "-" or guard != "-" or args != "-":
            raise SchemaError("a hole row has name, local_if and args `-`")
        return Row(lineno, first, last, None, cls, None, [], note, [])
    if not NAME_RE.match(name):
        raise SchemaError("bad syscall name %r" % name)
    specs = [] if args == "-" else args.split(" ")
    if len(specs) > MAX_ARGS or "" in specs:
        raise SchemaError("args must be `-` or 1..6 tokens separated by single spaces")
    cpp_args = [parse_arg(tok, types, specs, i) for i, tok in enumerate(specs)]
    if "irregular" in specs and note == "-":
        raise SchemaError("an `irregular` argument needs a note saying what it needs")
    cpp_guard, asserts = None, []
    if guard != "-":
        if cls == "local":
            raise SchemaError("local_if on a `local` call is pointless")
        cpp_guard, asserts = parse_guard(guard, len(specs))
    return Row(lineno, first, last, name, cls, cpp_guard, cpp_args, note, asserts)


def read_table(path, types):
    rows, errors, names = [], [], {}
    expect = 0
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            try:
                row = parse_row(line, lineno, types)
                check_order(row, expect, names)
            except SchemaError as e:
                errors.append("%s:%d: %s" % (path, lineno, e.reason))
                expect = resync(line, expect)  # one bad row gives one error, not a cascade
                continue
            expect = row.last + 1
            if row.name:
                names[row.name] = lineno
            rows.append(row)
    if not rows and not errors:
        errors.append("%s:1: no rows" % path)
    return rows, errors


def resync(line, expect):
    m = re.match(r"^([0-9]+)(?:\.\.([0-9]+))?\t", line)
    return int(m.group(2) or m.group(1)) + 1 if m else expect


def check_order(row, expect, names):
    if row.first != expect:
        if row.first < expect:
            raise SchemaError("number %d repeats or goes backwards (expected %d)"
                              % (row.first, expect))
        raise SchemaError("numbers %d..%d are missing before %d: add rows or a hole row"
                          % (expect, row.first - 1, row.first))
    if row.name in names:
        raise SchemaError("name %r already used at line %d" % (row.name, names[row.name]))


def check_unistd(path, rows):
    """Every __NR_<name> of asm/unistd_64.h must be a row with that number."""
    by_name = {r.name: r for r in rows if r.name}
    errors = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            m = re.match(r"^#define __NR_(\w+)\s+([0-9]+)\s*$", line)
            if not m:
                continue
            name, nr = m.group(1), int(m.group(2))
            row = by_name.get(name)
            if row is None:
                errors.append("%s:%d: __NR_%s (%d) is not in the syscall table"
                              % (path, lineno, name, nr))
            elif row.first != nr:
                errors.append("%s:%d: __NR_%s is %d but the table says %d (line %d)"
                              % (path, lineno, name, nr, row.first, row.lineno))
    return errors


# ----------------------------------------------------------------------------------------------
# Output.

def render(rows, types, table_path, types_path):
    src = os.path.basename(table_path)
    out = ["// Generated by tools/gen_syscalls.py from schema/%s and schema/%s."
           % (src, os.path.basename(types_path)),
           "// Do not edit: change the table and rebuild.",
           "#pragma once", "", "#include <sys/syscall.h>", "#include <cstdint>", ""]
    headers = sorted({t[2] for t in types.values() if t[2]} | set(GUARD_HEADERS))
    out += ["#include <%s>" % h for h in headers]
    out += ["", '#include "syscall/syscall_table.h"', "", "namespace omx::syscall::generated {", ""]
    last = rows[-1].last
    out.append("inline constexpr int kMaxNumber = %d;" % last)
    out.append("inline constexpr SyscallInfo kTable[%d] = {" % (last + 1))
    for row in rows:
        for nr in range(row.first, row.last + 1):
            out.append("    " + render_entry(row, nr) + ",")
    out.append("};")
    out.append("")
    named = sorted((r.name, r.first) for r in rows if r.name)
    out.append("inline constexpr NameIndex kByName[%d] = {" % len(named))
    out += ["    {%s, %d}," % (cpp_string(n), nr) for n, nr in named]
    out.append("};")
    holes = [r for r in rows if r.cls == "hole"]
    out.append("inline constexpr int kNumHoles = %d;" % len(holes))
    out.append("inline constexpr HoleRange kHoles[%d] = {" % max(1, len(holes)))
    out += ["    {%d, %d, %s}," % (r.first, r.last, cpp_string(r.note)) for r in holes]
    out += ["};", "", "}  // namespace omx::syscall::generated", ""]
    out += render_asserts(rows, types, src, os.path.basename(types_path))
    return "\n".join(out) + "\n"


def render_entry(row, nr):
    if row.cls == "hole":
        return ("{nullptr, %d, SyscallClass::kHome, 0, {}, {}, %s}" % (nr, cpp_string(row.note)))
    args = ", ".join(row.args)
    note = cpp_string("" if row.note == "-" else row.note)
    return ("{%s, %d, SyscallClass::%s, %d, {%s}, %s, %s}"
            % (cpp_string(row.name), nr, CLASSES[row.cls], len(row.args), args,
               row.guard or "{}", note))


def render_asserts(rows, types, src, types_src):
    out = ["// Numbers agree with the C library's SYS_<name> where it defines them (rr does the",
           "// same in syscalls.py); numbers newer than the build machine's headers are skipped."]
    for row in rows:
        if row.name:
            out += ["#ifdef SYS_%s" % row.name,
                    'static_assert(SYS_%s == %d, "%s:%d: %s is not %d in <sys/syscall.h>");'
                    % (row.name, row.first, src, row.lineno, row.name, row.first),
                    "#endif"]
    out.append("")
    for name, (size, c_type, _, lineno) in sorted(types.items()):
        if c_type:
            out.append('static_assert(sizeof(%s) == %d, "%s:%d: sizeof(%s) is not %d");'
                       % (c_type, size, types_src, lineno, c_type, size))
    out.append("")
    for row in rows:
        out += row.asserts
    out += ["static_assert([] {",
            "  for (int i = 0; i <= omx::syscall::generated::kMaxNumber; ++i)",
            "    if (omx::syscall::generated::kTable[i].number != i) return false;",
            "  return true;",
            '}(), "kTable is indexed by number");', ""]
    return out


def write_atomically(path, text):
    # Always rewritten (not only on change): the build tool compares its time with the inputs'.
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--table", required=True, help="schema/syscalls_x86_64.tsv")
    p.add_argument("--types", required=True, help="schema/syscall_types_x86_64.tsv")
    p.add_argument("--out", help="header to write (omit to only check the inputs)")
    p.add_argument("--unistd", help="asm/unistd_64.h to check the table against")
    a = p.parse_args(argv)
    try:
        types, errors = read_types(a.types)
        rows, table_errors = read_table(a.table, types)
        errors += table_errors
        if a.unistd and not errors:
            errors += check_unistd(a.unistd, rows)
    except OSError as e:
        errors = ["%s: %s" % (e.filename, e.strerror)]
    if errors:
        for e in errors:
            print(e, file=sys.stderr)
        print("gen_syscalls: %d error(s); nothing written" % len(errors), file=sys.stderr)
        return 1
    if a.out:
        write_atomically(a.out, render(rows, types, a.table, a.types))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
