"""The MongoDB-wire store: AWS DocumentDB in production, FerretDB locally, MongoDB anywhere.

Documents are the messages' own fields as plain BSON (queryable), with the message tag in
``type`` so a stored document is decoded only by the version that wrote it. Collections:

- ``orders``: one document per stored version of an order, ``_id`` = ``<order>:<seq>``
  (``order`` = the order id as 20 digits of text, see ``order_key``; ``seq`` 10 digits), with
  ``order``, ``seq`` and ``open`` (not terminal) as fields. An order is its version with the
  highest ``seq``; reads pick it.
- ``executions``: ``_id`` = exec id, so a replayed fill inserts nothing, plus ``n``, the
  insertion number that orders and pages them (see ``_reserve``).
- ``snapshots``: ``_id`` = account.
- ``execution_blocks``: the newest block of execution insertion numbers handed out.

Orders are written by inserts only: a replayed version collides on its ``_id`` (duplicate key
11000, ignored) and an older one is stored but never read, so replays change nothing. Why not
one document per order, updated in place: FerretDB v1 runs every update (and delete) by reading
the whole collection (``explain`` reports ``filterPushdown: false``), so an update costs time
in proportion to the collection (measured: 2 ms at 2,000 orders, 7 ms at 20,000), while an
insert costs ~0.05 ms whatever the size. Only the newest version of each order in a batch is
written. A snapshot is replaced only under the filter ``{_id, seq: {$lt: seq}}`` with
``upsert``, so an older or equal ``seq`` either matches nothing or, when the document exists,
makes the upsert collide on ``_id``, which means "already newer" and is ignored (one document
per account: a small collection). Each ``write`` sends one unordered write command per
collection, concurrently. A batch is not one transaction (FerretDB v1 has none): a crash
midway leaves some documents written, and the replay that follows completes the rest.

``(account, client_order_id)`` is indexed, not unique: the API's claim is where a duplicate can
still be prevented; here it could only be found after the venue has the order, and the store
must record every order that exists.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final, TypeVar

import msgspec
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, PyMongoError
from pymongo.uri_parser import parse_uri

from oms.events import TERMINAL_STATUSES, AccountSnapshot, Execution, OrderUpdate
from oms.store import StoreUnavailableError

Document = dict[str, Any]
_M = TypeVar("_M", OrderUpdate, Execution, AccountSnapshot)

_DUPLICATE_KEY: Final = 11000
_ROUNDS: Final = 4
_OPS_PER_COMMAND: Final = 1_000
"""Operations per write command: far below the 16 MiB command limit with documents of ~1 KiB."""
_FERRETDB_OPS_PER_COMMAND: Final = 25
"""FerretDB v1 holds a pooled PostgreSQL connection per matching update until the command
ends; small commands, a few at a time (``_CONCURRENT_COMMANDS``), stay far below its pool."""
_CONCURRENT_COMMANDS: Final = 4
"""Write commands of one batch in flight together (each statement commits on its own)."""

_CLIENT_DEFAULTS: Final[Mapping[str, int]] = {
    # A server that does not answer is an unavailable store, reported within seconds.
    "serverSelectionTimeoutMS": 2_000,
    "connectTimeoutMS": 2_000,
    # Generous: a large batch on FerretDB's SQLite backend takes a while.
    "socketTimeoutMS": 15_000,
}


def _tag(kind: type[msgspec.Struct]) -> str:
    tag = kind.__struct_config__.tag
    assert isinstance(tag, str)
    return tag


_TAGS: Final = {kind: _tag(kind) for kind in (OrderUpdate, Execution, AccountSnapshot)}


class MongoStore:
    """The ``Store`` port on a MongoDB-wire database.

    Args:
        url: ``mongodb://[user:password@]host[:port][/database][?options]``; options in the URL
            (TLS, ``replicaSet``, ``retryWrites``, timeouts) win over this adapter's defaults.
        database: the database holding the collections.
    """

    def __init__(self, url: str, database: str = "oms") -> None:
        given = parse_uri(url)["options"]
        options: dict[str, Any] = {k: v for k, v in _CLIENT_DEFAULTS.items() if k not in given}
        self._client: AsyncMongoClient[Document] = AsyncMongoClient(url, **options)
        db = self._client[database]
        self._orders: AsyncCollection[Document] = db["orders"]
        self._executions: AsyncCollection[Document] = db["executions"]
        self._snapshots: AsyncCollection[Document] = db["snapshots"]
        self._blocks: AsyncCollection[Document] = db["execution_blocks"]
        self._ops_per_command = _OPS_PER_COMMAND
        self._prepared = False
        self._preparing = asyncio.Lock()

    @classmethod
    def from_url(cls, url: str) -> MongoStore:
        """The database is the URL's path (``mongodb://host/oms``), ``oms`` if it has none."""
        return cls(url, parse_uri(url)["database"] or "oms")

    @classmethod
    async def connect(cls, url: str) -> MongoStore:
        """A started store (see ``start``), so a process that cannot reach the database fails
        at start-up rather than at its first write."""
        store = cls.from_url(url)
        try:
            await store.start()
        except BaseException:
            await store.close()
            raise
        return store

    async def start(self) -> None:
        """Reach the server, learn whether it is FerretDB, create the indexes (idempotent).

        Raises:
            StoreUnavailableError: the server did not answer in time.
        """
        await self._prepare()

    async def _prepare(self) -> None:
        """Once per process; the first write does it too, so a store built without ``start``
        (while the server was down) becomes usable when the server is back."""
        if self._prepared:
            return
        async with self._preparing:
            if self._prepared:
                return
            with _unavailable("start-up"):
                build = await self._client.admin.command("buildInfo")
                if "ferretdbVersion" in build:
                    self._ops_per_command = _FERRETDB_OPS_PER_COMMAND
                await self._orders.create_index([("order", ASCENDING), ("seq", ASCENDING)])
                await self._orders.create_index([("account", ASCENDING), ("order", ASCENDING)])
                await self._orders.create_index(
                    [("account", ASCENDING), ("client_order_id", ASCENDING), ("order", ASCENDING)]
                )
                await self._orders.create_index([("open", ASCENDING), ("order", ASCENDING)])
                await self._executions.create_index([("account", ASCENDING), ("n", ASCENDING)])
                await self._executions.create_index([("n", ASCENDING)])
            self._prepared = True

    # --- writes ----------------------------------------------------------------------------

    async def write(
        self,
        orders: Sequence[OrderUpdate] = (),
        executions: Sequence[Execution] = (),
        snapshots: Sequence[AccountSnapshot] = (),
    ) -> None:
        if not (orders or executions or snapshots):
            return
        await self._prepare()
        results = await asyncio.gather(
            self._write_orders(orders),
            self._write_executions(executions),
            self._write_snapshots(snapshots),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _write_orders(self, orders: Sequence[OrderUpdate]) -> None:
        newest: dict[int, OrderUpdate] = {}
        for o in orders:
            kept = newest.get(o.order_id)
            if kept is None or o.seq > kept.seq:
                newest[o.order_id] = o
        if not newest:
            return
        docs = [_order_doc(o) for o in newest.values()]
        errors = await _write_command(
            self._orders, "insert", "documents", docs, self._ops_per_command
        )
        _raise_unless_duplicates(self._orders, errors)

    async def _write_executions(self, executions: Sequence[Execution]) -> None:
        unique: dict[str, Execution] = {}
        for e in executions:
            unique.setdefault(e.exec_id, e)
        if not unique:
            return
        first = await self._reserve(len(unique))
        docs = [_execution_doc(e, n) for n, e in enumerate(unique.values(), start=first)]
        errors = await _write_command(
            self._executions, "insert", "documents", docs, self._ops_per_command
        )
        _raise_unless_duplicates(self._executions, errors)

    async def _reserve(self, count: int) -> int:
        """The first of ``count`` fresh insertion numbers, unique across writer processes.

        A writer takes the block after the newest one by inserting a document with that
        block's start as ``_id``: of two writers racing for it, the unique ``_id`` lets one in.
        Only an insert's uniqueness is relied on: FerretDB v1 runs ``findAndModify`` and
        conditional updates as a read then a write, so an ``$inc`` counter would hand two
        writers the same numbers. Older blocks are deleted to keep the lookup short; a writer
        that read before a deletion may insert a block that was already used, but a newer
        block then exists, so it checks and tries again. Per account (one writer at a time,
        by Kafka partition) the numbers follow the order of the writes. A replayed fill burns
        a number and inserts nothing: the numbers have gaps, never repeats.
        """
        for _ in range(_ROUNDS * 4):
            with _unavailable("execution numbering"):
                newest = await self._blocks.find_one(sort=[("_id", DESCENDING)])
                first = 1 if newest is None else int(newest["_id"]) + int(newest["count"])
                block = f"{first:019d}"
                try:
                    await self._blocks.insert_one({"_id": block, "count": count})
                except DuplicateKeyError:
                    continue
                if await self._blocks.find_one({"_id": {"$gt": block}}) is not None:
                    continue
                await self._blocks.delete_many({"_id": {"$lt": block}})
            return first
        raise StoreUnavailableError("execution numbering kept colliding; retry")

    async def _write_snapshots(self, snapshots: Sequence[AccountSnapshot]) -> None:
        newest: dict[str, AccountSnapshot] = {}
        for s in snapshots:
            kept = newest.get(s.account)
            if kept is None or s.seq > kept.seq:
                newest[s.account] = s
        await _replace_older(
            self._snapshots,
            [(s.account, s.seq, _snapshot_doc(s)) for s in newest.values()],
            self._ops_per_command,
        )

    # --- reads -----------------------------------------------------------------------------

    async def get_order(self, order_id: int) -> OrderUpdate | None:
        found = await self._newest({"order": order_key(order_id)}, DESCENDING, 1)
        return found[0] if found else None

    async def get_order_by_client_id(
        self, account: str, client_order_id: str
    ) -> OrderUpdate | None:
        found = await self._newest(
            {"account": account, "client_order_id": client_order_id}, DESCENDING, 1
        )
        return found[0] if found else None

    async def list_orders(
        self,
        account: str,
        *,
        statuses: Collection[str] = (),
        symbol: str | None = None,
        limit: int = 100,
        cursor: int | None = None,
    ) -> list[OrderUpdate]:
        query: Document = {"account": account}
        if symbol is not None:
            query["symbol"] = symbol  # never changes between versions
        if cursor is not None:
            query["order"] = {"$lt": order_key(cursor)}
        if not statuses:
            return await self._newest(query, DESCENDING, limit)
        wanted = frozenset(statuses)
        # The status is the newest version's: filtered after picking it, not in the query.
        return await self._newest(query, DESCENDING, limit, lambda o: o.status in wanted)

    async def open_orders(self, account: str | None = None) -> list[OrderUpdate]:
        opened: Document = {"open": True}
        ended: Document = {"open": False}
        if account is not None:
            opened["account"] = ended["account"] = account
        with _unavailable("read"):
            # Every order had an open version once; a terminal version is its last. Asking for
            # the newest versions of the orders without one keeps the `$in` to the open orders
            # (asking for all of them timed out on FerretDB at 50,000 orders).
            keys = set(await self._orders.distinct("order", opened))
            keys.difference_update(await self._orders.distinct("order", ended))
        if not keys:
            return []
        query = {"order": {"$in": sorted(keys)}}
        return await self._newest(query, ASCENDING, 0, lambda o: o.open)

    async def _newest(
        self,
        query: Document,
        direction: int,
        limit: int,
        keep: Callable[[_Version], bool] | None = None,
    ) -> list[OrderUpdate]:
        """The newest version of each order matching ``query``, by order id in ``direction``,
        those ``keep`` accepts; ``limit`` 0 means all of them."""
        if limit < 0:
            return []
        out: list[OrderUpdate] = []
        last = None
        sort = [("order", direction), ("seq", DESCENDING)]
        with _unavailable("read"):
            async for doc in self._orders.find(query, sort=sort, batch_size=1000):
                if doc["order"] == last:
                    continue  # an older version of the order just taken
                last = doc["order"]
                version = _Version(doc)
                if keep is not None and not keep(version):
                    continue
                out.append(version.order())
                if limit and len(out) == limit:
                    break
        return out

    async def list_executions(
        self,
        account: str,
        *,
        symbol: str | None = None,
        order_id: int | None = None,
        limit: int = 100,
        cursor: int | None = None,
    ) -> tuple[list[Execution], int | None]:
        if limit <= 0:
            return [], None
        query: Document = {"account": account}
        if symbol is not None:
            query["symbol"] = symbol
        if order_id is not None:
            query["order_id"] = order_id
        if cursor is not None:
            query["n"] = {"$lt": cursor}
        with _unavailable("read"):
            docs = await self._executions.find(
                query, sort=[("n", DESCENDING)], limit=limit
            ).to_list()
        next_cursor = int(docs[-1]["n"]) if len(docs) == limit else None
        return [_execution(d) for d in docs], next_cursor

    async def all_executions(self, batch: int = 10_000) -> AsyncIterator[list[Execution]]:
        last = 0
        while True:
            with _unavailable("read"):
                docs = await self._executions.find(
                    {"n": {"$gt": last}}, sort=[("n", ASCENDING)], limit=batch
                ).to_list()
            if not docs:
                return
            last = int(docs[-1]["n"])
            yield [_execution(d) for d in docs]

    async def get_snapshot(self, account: str) -> AccountSnapshot | None:
        with _unavailable("read"):
            doc = await self._snapshots.find_one({"_id": account})
        return _snapshot(doc) if doc is not None else None

    async def close(self) -> None:
        await self._client.close()


# --- documents ------------------------------------------------------------------------------


def order_key(order_id: int) -> str:
    """An order's key (``order``, and the start of its versions' ``_id``s): its id as
    fixed-width digits, so text order is numeric order."""
    return f"{order_id:020d}"


def _order_doc(order: OrderUpdate) -> Document:
    doc = msgspec.structs.asdict(order)
    key = order_key(doc.pop("order_id"))
    doc["_id"] = f"{key}:{order.seq:010d}"
    doc["order"] = key
    doc["type"] = _TAGS[OrderUpdate]
    doc["open"] = order.status not in TERMINAL_STATUSES
    return doc


class _Version:
    """A stored order version, decoded only once it is known to be wanted."""

    __slots__ = ("doc", "open", "status")

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.status: str = doc["status"]
        self.open: bool = bool(doc["open"])

    def order(self) -> OrderUpdate:
        doc = self.doc
        doc["_id"] = int(doc.pop("order"))
        return _decoded(doc, "order_id", OrderUpdate)


def _execution_doc(execution: Execution, n: int) -> Document:
    doc = msgspec.structs.asdict(execution)
    doc["_id"] = doc.pop("exec_id")
    doc["type"] = _TAGS[Execution]
    doc["n"] = n
    return doc


def _snapshot_doc(snapshot: AccountSnapshot) -> Document:
    doc: Document = msgspec.to_builtins(snapshot)
    doc["_id"] = doc.pop("account")
    return doc


def _decoded(doc: Document, id_field: str, kind: type[_M]) -> _M:
    """A message from its document: ``_id`` back to its field; extra fields are ignored."""
    doc[id_field] = doc.pop("_id")
    return msgspec.convert(doc, kind)


def _execution(doc: Document) -> Execution:
    return _decoded(doc, "exec_id", Execution)


def _snapshot(doc: Document) -> AccountSnapshot:
    return _decoded(doc, "account", AccountSnapshot)


# --- write commands -------------------------------------------------------------------------


async def _replace_older(
    collection: AsyncCollection[Document],
    items: Sequence[tuple[object, int, Document]],
    ops_per_command: int,
) -> None:
    """Store each ``(id, seq, document)`` unless a document with that id has a ``seq`` as new.

    The common case is one round trip: conditional upserts, none of which collides. A
    collision (duplicate key) means the id is stored with a newer or equal ``seq``: a replay,
    or a concurrent writer. FerretDB v1 stops an "unordered" update at its first error, so the
    ones after it may not have run: read the stored ``seq`` of the batch and send again what is
    still newer, until nothing is. A replay settles in two rounds; concurrent writers of the
    same ids (only during a partition takeover) settle at least one id per round.
    """
    pending = list(items)
    for _ in range(len(pending) + _ROUNDS):
        updates = [
            {"q": {"_id": key, "seq": {"$lt": seq}}, "u": doc, "upsert": True}
            for key, seq, doc in pending
        ]
        errors = await _write_command(collection, "update", "updates", updates, ops_per_command)
        if not errors:
            return
        _raise_unless_duplicates(collection, errors)
        with _unavailable("read"):
            stored = {
                d["_id"]: d["seq"]
                for d in await collection.find(
                    {"_id": {"$in": [key for key, _, _ in pending]}}, {"seq": 1}
                ).to_list()
            }
        pending = [(k, seq, doc) for k, seq, doc in pending if k not in stored or stored[k] < seq]
        if not pending:
            return
    raise StoreUnavailableError(f"{collection.name}: writes kept colliding; retry")


async def _write_command(
    collection: AsyncCollection[Document],
    command: str,
    field: str,
    items: Sequence[Document],
    ops_per_command: int,
) -> list[Document]:
    """Run an unordered ``insert`` or ``update`` command; the write errors it reports.

    A plain command rather than ``bulk_write``: FerretDB v1 leaves ``n`` and ``nModified``
    out of an update reply that carries write errors, which ``bulk_write`` cannot merge.
    """
    options: Document = {"ordered": False}
    if not collection.write_concern.is_server_default:
        options["writeConcern"] = collection.write_concern.document

    async def run(start: int) -> list[Document]:
        # The command name must be the document's first key.
        request = {command: collection.name, field: items[start : start + ops_per_command]}
        request.update(options)
        with _unavailable(f"{collection.name} {command}"):
            reply = await collection.database.command(request)
        if concern := reply.get("writeConcernError"):
            raise StoreUnavailableError(f"{collection.name} {command}: {concern}")
        # Each error's index made an index into ``items`` rather than into its chunk.
        return [{**e, "index": start + e.get("index", 0)} for e in reply.get("writeErrors", ())]

    # A few chunks go out together: the server works on them side by side.
    starts = list(range(0, len(items), ops_per_command))
    errors: list[Document] = []
    for i in range(0, len(starts), _CONCURRENT_COMMANDS):
        for found in await asyncio.gather(*(run(s) for s in starts[i : i + _CONCURRENT_COMMANDS])):
            errors += found
    return errors


def _raise_unless_duplicates(collection: AsyncCollection[Document], errors: list[Document]) -> None:
    """Duplicate keys are replays of what is stored; any other write error is a failure."""
    for error in errors:
        if error.get("code") != _DUPLICATE_KEY:
            raise StoreUnavailableError(f"{collection.name} write failed: {error}")


@contextmanager
def _unavailable(action: str) -> Iterator[None]:
    try:
        yield
    except PyMongoError as exc:
        raise StoreUnavailableError(f"store {action} failed: {exc}") from exc


__all__ = ["MongoStore"]
