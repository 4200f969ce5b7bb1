"""Querysets compiled once per shape and then run with new values.

Building a rich queryset (``visible_posts`` with its ``EXISTS`` subqueries,
``select_related``, annotations) and compiling it to SQL costs far more
Python time than the database spends running it: on a home page about
thirty times more. A ``PreparedQueries`` builds each shape of query once,
from stand-in values, and keeps its SQL; later requests put their own
values where the stand-ins were and run that SQL, and Django's usual
iterable turns the rows into model instances.

The query still comes from the same ORM code (``visible_posts`` stays the
one visibility rule); only its compilation is reused. What may differ
between runs must reach the query through a stand-in: a number from
``Stand.value`` (a parameter) or an SQL fragment from ``Stand.fragment``
(a subquery or id list chosen per run, such as a timeline store's ids).
Everything else is taken as fixed for the shape's key.
"""

import copy
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Model, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.sql import Query
from django.db.models.sql.compiler import SQLCompiler

# Stand-in parameters count down from here: negative, far below any id or
# count hubbub writes, so a parameter equal to one is that stand-in.
_FIRST_STAND_IN = -0x4855_4242_5542_0000
# A fragment's place in the SQL; never valid SQL, so a missed one fails.
_FRAGMENT = "@@hubbub-fragment-{}@@"

# A fragment given per run: SQL with its parameters, or a list of ids.
Fragment = RawSQL | Sequence[int]


class Stand:
    """Hands out the stand-ins a prepared query is built from."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self.fragments: dict[str, str] = {}

    def value(self, name: str) -> int:
        """Return the stand-in parameter for ``name``."""
        return self.values.setdefault(name, _FIRST_STAND_IN - len(self.values))

    def fragment(self, name: str) -> RawSQL:
        """Return the stand-in for ``name``'s SQL fragment (a subquery)."""
        marker = self.fragments.setdefault(name, _FRAGMENT.format(name))
        return RawSQL(marker, [])  # noqa: S611


class _Compiled:
    """One shape's SQL, split where its fragments go."""

    def __init__(self, queryset: QuerySet[Any], stand: Stand, using: str) -> None:
        compiler: SQLCompiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        self.model = queryset.model
        self.compiler = compiler
        stand_ins = {v: name for name, v in stand.values.items()}
        for name, value in stand.values.items():
            if value not in params or str(value) in sql:
                raise ValueError(f"stand-in {name!r} is not a parameter of {sql}")
        # The SQL between fragments, with each piece's parameters: a
        # parameter is a fixed value or the name of a stand-in.
        self.pieces: list[tuple[str, list[tuple[bool, Any]]]] = []
        self.fragment_names: list[str] = []
        rest, remaining = sql, list(params)
        markers = sorted(
            (rest.index(marker), name) for name, marker in stand.fragments.items()
        )
        if len(markers) != len(stand.fragments) or any(
            sql.count(stand.fragments[name]) != 1 for _, name in markers
        ):
            raise ValueError(f"each fragment must appear once in {sql}")
        for _, name in markers:
            head, _, rest = rest.partition(stand.fragments[name])
            self.pieces.append(_take_params(head, remaining, stand_ins))
            self.fragment_names.append(name)
        self.pieces.append(_take_params(rest, remaining, stand_ins))

    def sql(
        self, values: dict[str, int], fragments: dict[str, Fragment]
    ) -> tuple[str, list[Any]]:
        sql_parts: list[str] = []
        params: list[Any] = []
        for n, (text, piece_params) in enumerate(self.pieces):
            sql_parts.append(text)
            params += [
                values[p] if is_stand_in else p for is_stand_in, p in piece_params
            ]
            if n < len(self.fragment_names):
                fragment = fragments[self.fragment_names[n]]
                if isinstance(fragment, RawSQL):
                    sql_parts.append(fragment.sql)
                    params += fragment.params
                elif fragment:
                    sql_parts.append(", ".join(["%s"] * len(fragment)))
                    params += fragment
                else:
                    # "IN (NULL)" matches nothing, as an empty list should.
                    sql_parts.append("NULL")
        return "".join(sql_parts), params


def _take_params(
    text: str, params: list[Any], stand_ins: dict[int, str]
) -> tuple[str, list[tuple[bool, Any]]]:
    """Pop the parameters ``text`` uses off the front of ``params``."""
    count = text.replace("%%", "").count("%s")
    taken, params[:count] = params[:count], []
    return text, [
        (True, stand_ins[p]) if isinstance(p, int) and p in stand_ins else (False, p)
        for p in taken
    ]


class _CompiledQuery(Query):
    """A query whose SQL is already written: its compiler only runs it."""

    def __init__(self, compiled: _Compiled, sql: str, params: list[Any]) -> None:
        super().__init__(compiled.model)
        self._prepared, self._sql, self._params = compiled, sql, params

    def get_compiler(
        self, using: str | None = None, connection: Any = None, elide_empty: bool = True
    ) -> SQLCompiler:
        # A copy of the compiler that wrote the SQL keeps what it learned
        # about the columns (which turn into which model and annotation);
        # it runs on this thread's connection.
        compiler = copy.copy(self._prepared.compiler)
        alias: str = using or compiler.using or DEFAULT_DB_ALIAS
        compiler.using = alias
        compiler.connection = connection or connections[alias]
        sql, params = self._sql, tuple(self._params)
        # Only this copy answers with the stored SQL.
        compiler.as_sql = lambda *args, **kwargs: (sql, params)  # type: ignore[method-assign]
        return compiler

    def clone(self) -> "_CompiledQuery":
        raise TypeError("A prepared query cannot be filtered further.")


class PreparedQueries[M: Model]:
    """Queries of ``model``, each shape compiled once per database."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self._compiled: dict[tuple[str, Hashable], _Compiled] = {}

    def run(
        self,
        key: Hashable,
        build: Callable[[Stand], QuerySet[M]],
        *,
        values: dict[str, int],
        fragments: dict[str, Fragment] | None = None,
    ) -> list[M]:
        """Return the rows of the query ``build`` makes, with ``values`` and
        ``fragments`` in place of its stand-ins.

        ``key`` names the shape: every input to ``build`` that is not a
        stand-in (which cursors are set, the page size, ...). ``build`` is
        called only the first time a key is seen on a database.
        """
        using = router.db_for_read(self.model)
        compiled = self._compile(using, key, build)
        sql, params = compiled.sql(values, fragments or {})
        query = _CompiledQuery(compiled, sql, params)
        return list(QuerySet(model=self.model, query=query, using=using))

    def sql(
        self,
        key: Hashable,
        build: Callable[[Stand], QuerySet[M]],
        *,
        values: dict[str, int],
        fragments: dict[str, Fragment] | None = None,
    ) -> tuple[str, list[Any]]:
        """Return the SQL and parameters ``run`` would execute, for a caller
        that embeds the query in a statement of its own (``EXISTS (...)``
        in a hand-written INSERT, say)."""
        compiled = self._compile(router.db_for_read(self.model), key, build)
        return compiled.sql(values, fragments or {})

    def _compile(
        self, using: str, key: Hashable, build: Callable[[Stand], QuerySet[M]]
    ) -> _Compiled:
        compiled = self._compiled.get((using, key))
        if compiled is None:
            stand = Stand()
            compiled = _Compiled(build(stand), stand, using)
            self._compiled[(using, key)] = compiled
        return compiled
