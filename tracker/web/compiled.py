"""Templates compiled once per process (Jinja's bytecode cache, kept in memory).

Each app compiles its templates on first use: about 15 ms a template, 0.6 s for all of them. A
worker or a CLI command makes one app, but the test suite makes one per test, and each compiled
the same templates again. Every app of the process shares this cache instead. Jinja checks each
entry against its template's source (a checksum), so an edited template is compiled again; the
entries are kept per set of the environment's options that shape the compiled code (its
extensions and their policies), so apps configured differently never share code.
"""

import threading

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


def _options(environment) -> tuple:
    return (
        tuple(sorted(environment.extensions)),
        tuple(sorted((k, repr(v)) for k, v in environment.policies.items() if k.startswith("ext."))),
        environment.block_start_string, environment.variable_start_string,
        environment.comment_start_string, environment.line_statement_prefix,
        environment.line_comment_prefix, environment.trim_blocks, environment.lstrip_blocks,
        environment.newline_sequence, environment.keep_trailing_newline, environment.optimized,
        environment.is_async,
    )  # fmt: skip


class CompiledTemplates(BytecodeCache):
    """The compiled code of every template this process rendered. Thread-safe."""

    def __init__(self) -> None:
        self._code: dict[tuple, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            found = self._code.get((_options(bucket.environment), bucket.key))
        if found is not None:
            bucket.bytecode_from_string(found)  # dropped by Jinja if the source changed since

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = bucket.bytecode_to_string()
        with self._lock:
            self._code[(_options(bucket.environment), bucket.key)] = code

    def clear(self) -> None:
        with self._lock:
            self._code.clear()


COMPILED = CompiledTemplates()
