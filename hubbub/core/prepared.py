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
between runs must reach the query through a stand-in: a parameter from
``Stand.value`` (a number) or ``Stand.text`` (a string), or an SQL fragment
from ``Stand.fragment`` (a subquery or id list chosen per run, such as a
timeline store's ids). Everything else is taken as fixed for the shape's key.

On PostgreSQL each shape's statement is also prepared on the server
(``statement_cursor``), so the database plans it once per connection, not
on every run; ``id_in`` keeps a list of ids from changing its text.
"""

import copy
import weakref
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Model, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery, Query
from django.db.models.sql.compiler import SQLCompiler

# Stand-in parameters count down from here: negative, far below any id or
# count hubbub writes, so a parameter equal to one is that stand-in.
_FIRST_STAND_IN = -0x4855_4242_5542_0000
# A text stand-in: a NUL byte, which no stored text holds, and its name.
_TEXT_STAND_IN = "\x00hubbub-stand-in-{}"
# A fragment's place in the SQL; never valid SQL, so a missed one fails.
_FRAGMENT = "@@hubbub-fragment-{}@@"

# A fragment given per run: SQL with its parameters, or a list of ids.
Fragment = RawSQL | Sequence[int]


class Stand:
    """Hands out the stand-ins a prepared query is built from."""

    def __init__(self) -> None:
        self.values: dict[str, int | str] = {}
        self.fragments: dict[str, str] = {}

    def value(self, name: str) -> int:
        """Return the stand-in parameter for ``name``."""
        value = self.values.setdefault(name, _FIRST_STAND_IN - len(self.values))
        if not isinstance(value, int):
            raise TypeError(f"{name!r} is a text stand-in")
        return value

    def text(self, name: str) -> str:
        """Return the stand-in parameter for ``name``, a string."""
        value = self.values.setdefault(name, _TEXT_STAND_IN.format(name))
        if not isinstance(value, str):
            raise TypeError(f"{name!r} is a number stand-in")
        return value

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
        # Readers of one field from a row, by path (Rows.column).
        self.readers: dict[tuple[str, ...], Callable[[tuple[Any, ...]], Any]] = {}
        # Which converter turns each column into Python, per connection:
        # working it out takes longer than converting a page's rows.
        self._converters: weakref.WeakKeyDictionary[Any, dict[int, Any]] = (
            weakref.WeakKeyDictionary()
        )
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

    def converters(self, compiler: SQLCompiler) -> dict[int, Any]:
        """Return ``compiler.get_converters`` for this shape's columns."""
        found = self._converters.get(compiler.connection)
        if found is None:
            columns = [s[0] for s in compiler.select[: compiler.col_count]]
            found = self._converters[compiler.connection] = compiler.get_converters(
                columns
            )
        return found

    def sql(
        self, values: dict[str, int | str], fragments: dict[str, Fragment]
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
    text: str, params: list[Any], stand_ins: dict[int | str, str]
) -> tuple[str, list[tuple[bool, Any]]]:
    """Pop the parameters ``text`` uses off the front of ``params``."""
    count = text.replace("%%", "").count("%s")
    taken, params[:count] = params[:count], []
    return text, [
        (True, stand_ins[p])
        if isinstance(p, int | str) and p in stand_ins
        else (False, p)
        for p in taken
    ]


class _CompiledQuery(Query):
    """A query whose SQL is already written and already run: its compiler
    only hands over the rows."""

    def __init__(self, compiled: _Compiled, rows: list[tuple[Any, ...]]) -> None:
        super().__init__(compiled.model)
        self._prepared, self._rows = compiled, rows

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
        rows = self._rows
        # Only this copy answers, with the rows already fetched (in one
        # chunk, as execute_sql would give them).
        compiler.execute_sql = lambda *args, **kwargs: [rows]  # type: ignore[method-assign, assignment]
        converters = self._prepared.converters(compiler)
        compiler.get_converters = lambda expressions: converters  # type: ignore[method-assign]
        return compiler

    def clone(self) -> "_CompiledQuery":
        raise TypeError("A prepared query cannot be filtered further.")


class Rows[M: Model]:
    """The rows of one run of a prepared query, as the database driver gave
    them, turned into model instances only when asked.

    A page that can answer from a cache keyed on the rows never pays for
    building the instances.
    """

    def __init__(
        self, compiled: _Compiled, rows: list[tuple[Any, ...]], using: str
    ) -> None:
        self.rows = rows
        self._compiled, self._using = compiled, using
        self._instances: list[M] | None = None

    def instances(self) -> list[M]:
        """Return the rows as model instances (built once), as the queryset
        the query was built from would have returned them."""
        if self._instances is None:
            query = _CompiledQuery(self._compiled, self.rows)
            model = self._compiled.model
            self._instances = list(
                QuerySet(model=model, query=query, using=self._using)
            )
        return self._instances

    def column(self, *path: str) -> Callable[[tuple[Any, ...]], Any]:
        """Return a reader of the field at ``path`` (relations, then the
        field's attribute name, as in ``("reblog_of", "created_at")``)
        from one row, converted as the model instance would hold it."""
        read = self._compiled.readers.get(path)
        if read is None:
            read = self._compiled.readers[path] = self._reader(path)
        return read

    def _reader(self, path: tuple[str, ...]) -> Callable[[tuple[Any, ...]], Any]:
        compiler = self._compiled.compiler
        klass_info: dict[str, Any] = compiler.klass_info or {}
        *relations, attname = path
        for name in relations:
            klass_info = next(
                info
                for info in klass_info["related_klass_infos"]
                if info["field"].name == name
            )
        index = next(
            i
            for i in klass_info["select_fields"]
            if compiler.select[i][0].target.attname == attname
        )
        expression = compiler.select[index][0]
        converters = compiler.get_converters([expression]).get(0, ((), None))[0]
        connection = connections[self._using]

        def read(row: tuple[Any, ...]) -> Any:
            value = row[index]
            for convert in converters:
                value = convert(value, expression, connection)
            return value

        return read


@contextmanager
def statement_cursor(connection: BaseDatabaseWrapper) -> Iterator[CursorWrapper]:
    """Return a cursor for a statement whose text is the same on every run
    (a prepared query's, say), only its parameters changing.

    On PostgreSQL it binds parameters on the server, so psycopg prepares
    the statement on first use (``prepare_threshold`` in the settings; the
    usual cursors bind on the client and are never prepared) and
    PostgreSQL plans it once per connection (``plan_cache_mode``):
    planning the home timeline's query took longer than running it. A
    shape's text is the same on every run, so its one prepared statement
    serves every viewer.
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = connection.connection
    usual, raw.cursor_factory = raw.cursor_factory, ServerBindingCursor
    try:
        cursor = connection.cursor()
    finally:
        raw.cursor_factory = usual
    with cursor:
        yield cursor


def id_in(column: str, ids: Sequence[int], using: str) -> tuple[str, list[Any]]:
    """Return SQL, with its parameters, for "``column`` is one of ``ids``".

    On PostgreSQL the ids are one array parameter, so the text does not
    change with their number and a prepared query that embeds it stays
    one statement; elsewhere a list of parameters.
    """
    if connections[using].vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


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
        values: dict[str, int | str],
        fragments: dict[str, Fragment] | None = None,
    ) -> list[M]:
        """Return the rows of the query ``build`` makes, with ``values`` and
        ``fragments`` in place of its stand-ins, as model instances.

        ``key`` names the shape: every input to ``build`` that is not a
        stand-in (which cursors are set, the page size, ...). ``build`` is
        called only the first time a key is seen on a database.
        """
        return self.rows(key, build, values=values, fragments=fragments).instances()

    def rows(
        self,
        key: Hashable,
        build: Callable[[Stand], QuerySet[M]],
        *,
        values: dict[str, int | str],
        fragments: dict[str, Fragment] | None = None,
    ) -> Rows[M]:
        """Return what ``run`` returns as the driver's rows, to be built
        into instances only if needed."""
        using = router.db_for_read(self.model)
        compiled = self._compile(using, key, build)
        sql, params = compiled.sql(values, fragments or {})
        with statement_cursor(connections[using]) as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return Rows(compiled, rows, using)

    def sql(
        self,
        key: Hashable,
        build: Callable[[Stand], QuerySet[M, Any]],
        *,
        values: dict[str, int | str],
        fragments: dict[str, Fragment] | None = None,
    ) -> tuple[str, list[Any]]:
        """Return the SQL and parameters ``rows`` would execute, for a
        caller that embeds the query in a statement of its own (``EXISTS
        (...)`` in a hand-written INSERT, say). Its rows may be any shape
        (``values_list``, say): they are never built into instances here."""
        compiled = self._compile(router.db_for_read(self.model), key, build)
        return compiled.sql(values, fragments or {})

    def _compile(
        self, using: str, key: Hashable, build: Callable[[Stand], QuerySet[M, Any]]
    ) -> _Compiled:
        compiled = self._compiled.get((using, key))
        if compiled is None:
            stand = Stand()
            compiled = _Compiled(build(stand), stand, using)
            self._compiled[(using, key)] = compiled
        return compiled


class PreparedInsert[M: Model]:
    """Inserts of one whole row of ``model``, the statement built once per
    database.

    For a row whose fields the caller has all set, primary key included
    (nothing is read back): it is written as ``Model.objects.create``
    would write it, without Django building the INSERT each time, but
    without calling the model's save() or sending its signals either.
    """

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self._sql: dict[str, str] = {}

    def insert(self, obj: M) -> None:
        """Write ``obj`` as a new row."""
        using = router.db_for_write(self.model, instance=obj)
        connection = connections[using]
        sql = self._sql.get(using)
        if sql is None:
            sql = self._sql[using] = self._build(obj, using)
        params = [
            field.get_db_prep_save(field.pre_save(obj, True), connection)
            for field in self.fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        obj._state.adding = False
        obj._state.db = using

    def _build(self, obj: M, using: str) -> str:
        query = InsertQuery(self.model)
        query.insert_values(self.fields, [obj])
        [(sql, params)] = query.get_compiler(using=using).as_sql()
        # Each field must be a plain parameter (no DEFAULT, no expression),
        # or the SQL would depend on the row.
        if len(params) != len(self.fields) or sql.count("%s") != len(self.fields):
            raise ValueError(f"not a statement of plain parameters: {sql}")
        return str(sql)
