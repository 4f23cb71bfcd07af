"""Graph files: reading edge lists and GraphML into canonical edge arrays, and writing them.

This module owns the boundary between files (or networkx graphs) and the canonical edge array
of :mod:`sim.world.generators` over nodes ``0..n-1``. Node ids of any kind are relabelled
in sorted order (numeric if every id is an integer, else by string) and kept: ``labels[i]``
is the id of node i in the file. Edge lists have one ``u v`` pair per line, separated by
whitespace, tabs and/or commas; fields after the first two (a weight, NetworkX's
``write_edgelist`` attributes ``{}``) are ignored: the model's layers are unweighted; ``#``
and ``%`` start a comment (SNAP, KONECT); blank lines are ignored; edges are undirected. A
first line that names the columns (``source target``: fields that are not integers, above
lines of integer ids) is a header: skipped, and said in a warning line; with names for ids
(``alice bob``) a first line is an edge. ``.gz``, ``.bz2``, ``.xz`` and ``.zst`` files are
decompressed first. Parquet files (``.parquet``) are edge tables: columns ``source`` and
``target`` when present, else the first two. Only regular files are read (a device or a named
pipe never ends), and no more than their size. Self-loops and repeated edges are dropped,
counted in the report and logged as one warning line (logger ``sim.world.graph_files``), not
errors. :func:`node_table` gives the mapping from agents back to the file's ids, which a run
writes as ``nodes.parquet``. A regular edge list (one separator, comments only at the top) is
parsed by Arrow's C++ CSV reader (~0.03 s per 10^6 lines); any other by a numpy parser of the
raw bytes (~0.2 s per 10^6 lines), which also finds the line of any error. Every problem with
a file is a :class:`GraphFileError` with a one-line message naming the file.
"""

from __future__ import annotations

import codecs
import logging
import os
import secrets
import stat
import xml.etree.ElementTree as ET
from collections import OrderedDict
from dataclasses import dataclass

import networkx as nx
import numpy as np

from sim.config import GraphFileError
from sim.config.schema import COMPRESSED, compression, file_kind
from sim.world.generators import canonical_edges

__all__ = ["GraphFileError", "GraphFileReport", "edges_to_networkx", "networkx_to_edges",
           "node_table", "read_graph", "write_edgelist"]

log = logging.getLogger(__name__)

_GRAPHML_SUFFIXES = (".graphml", ".xml")
_PARQUET_SUFFIXES = (".parquet", ".pq")
#: Bytes the fast path looks at to choose the separator and find the header and comments.
_SNIFF = 1 << 16
#: Bytes of an edge list parsed per block (see :func:`_chunks`).
_CHUNK = 1 << 23
_FORMAT = ("expected 2 or more: `u v` (whitespace or comma separated, # or % starts a "
           "comment)")
#: Column names that make a file's only line a header rather than an edge between two people.
_HEADER_WORDS = {"source", "target", "from", "to", "src", "dst", "u", "v", "node1", "node2",
                 "id1", "id2", "head", "tail"}


@dataclass(frozen=True)
class GraphFileReport:
    """What :func:`read_graph` found in a file.

    Attributes:
        path: the file read.
        n_nodes: number of distinct node ids (nodes seen only in self-loops included).
        n_edges: number of undirected edges kept.
        self_loops_dropped: ``u u`` lines (or GraphML edges) dropped.
        duplicates_dropped: repeats of an edge already seen, in either direction, dropped.
        relabelled: False only when the ids were exactly the integers ``0..n-1``.
        header: ``(line number, text)`` of a header line skipped, or None.
    """

    path: str
    n_nodes: int
    n_edges: int
    self_loops_dropped: int
    duplicates_dropped: int
    relabelled: bool
    header: tuple[int, str] | None = None


#: Bytes of parsed graphs :func:`read_graph` keeps per process (least recently used out
#: first): a sweep's worker parses a file once for all its runs. A bound, not a measured
#: figure: a 10^6-node, 5 x 10^6-edge file takes about 90 MiB parsed.
GRAPH_CACHE_BYTES = 512 * 2**20

_GRAPHS: OrderedDict[tuple, tuple[np.ndarray, np.ndarray, GraphFileReport]] = OrderedDict()


def read_graph(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, GraphFileReport]:
    """Read an undirected graph from an edge list or a GraphML file, once per process.

    A file read before with the same path, size and modification time comes from the cache
    (:data:`GRAPH_CACHE_BYTES`; arrays read-only, and its warnings are not logged again).

    ``.graphml`` and ``.xml`` files are read with :func:`networkx.read_graphml` (directed
    graphs are made undirected); any other name is read as an edge list (format in the module
    docstring).

    Args:
        path: the file.

    Returns:
        ``(edges, labels, report)``: the canonical edge array over ``0..n-1``; the original
        id of each node (``int64`` when every id is an integer that fits, else an object
        array of ``str``, or of ``int`` for integers beyond int64); and a
        :class:`GraphFileReport`.

    Raises:
        GraphFileError: the file is missing, a directory, unreadable, binary, malformed or
            has no edges.
    """
    name = os.fspath(path)
    if not os.path.lexists(name):
        raise GraphFileError(name, "does not exist")
    try:
        info = os.stat(name)
        key = (os.path.realpath(name), info.st_size, info.st_mtime_ns, info.st_ino)
    except OSError:
        key = None
    if key is not None and key in _GRAPHS:
        _GRAPHS.move_to_end(key)
        return _GRAPHS[key]
    out = _read_graph(name)
    if key is not None and stat.S_ISREG(info.st_mode):
        for array in out[:2]:
            array.flags.writeable = False
        _GRAPHS[key] = out
        while sum(e.nbytes + labels.nbytes for e, labels, _ in _GRAPHS.values()) > (
                GRAPH_CACHE_BYTES) and len(_GRAPHS) > 1:
            _GRAPHS.popitem(last=False)
        if out[0].nbytes + out[1].nbytes > GRAPH_CACHE_BYTES:
            _GRAPHS.pop(key)
    return out


def _read_graph(name: str) -> tuple[np.ndarray, np.ndarray, GraphFileReport]:
    kind = _kind(name)
    if kind.endswith(_GRAPHML_SUFFIXES):
        data = _read_bytes(name)
        u, v, labels = _read_graphml(name, data)
        header = None
    elif kind.endswith(_PARQUET_SUFFIXES):
        _regular(name, os.stat(name) if os.path.exists(name) else None)
        u, v, labels = _read_parquet(name)
        header = None
    else:
        data = _read_bytes(name)
        found = _fast_edgelist(data)
        u, v, labels, header = found if found is not None else _parse_edgelist(name, data)
    n = labels.size
    edges = canonical_edges(u, v, n)
    loops = int(np.count_nonzero(u == v))
    if edges.size == 0:
        extra = f" other than {loops} self-loop(s)" if loops else ""
        raise GraphFileError(name, f"has no edges{extra}; expected at least one `u v` pair")
    exact = labels.dtype == np.int64 and labels[0] == 0 and labels[-1] == n - 1
    report = GraphFileReport(path=name, n_nodes=n, n_edges=len(edges), self_loops_dropped=loops,
                             duplicates_dropped=u.size - loops - len(edges),
                             relabelled=not exact, header=header)
    if header is not None:
        log.warning("graph file '%s': line %d `%s` is a header, not an edge: skipped", name,
                    header[0], header[1])
    if report.self_loops_dropped or report.duplicates_dropped:
        log.warning("graph file '%s': dropped %d self-loop(s) and %d duplicate edge(s); kept "
                    "%d edges between %d nodes", name, report.self_loops_dropped,
                    report.duplicates_dropped, report.n_edges, report.n_nodes)
    return edges, labels, report


def node_table(layers):
    """The file id of every agent on a layer read from a file (``nodes.parquet``).

    Args:
        layers: the run's layers (:class:`sim.world.layer.Layer`); those with ``labels``
            (layers read from a graph file or given as NetworkX graphs) contribute one row
            per member.

    Returns:
        An Arrow table with columns ``agent`` (int64, the agent index used in every other
        output), ``layer`` (dictionary-encoded, the layer's name) and ``label`` (the node's
        id: int64 when every layer's ids are integers that fit, else the id as a string),
        sorted by layer then agent; ``None`` when no layer has labels.
    """
    import pyarrow as pa  # noqa: PLC0415 - runs with labelled layers only

    layers = list(layers)
    named = [k for k, layer in enumerate(layers) if layers[k].labels is not None]
    if not named:
        return None
    ints = all(np.asarray(layers[k].labels).dtype == np.int64 for k in named)
    labels = [np.asarray(layers[k].labels) if ints else np.asarray(layers[k].labels).astype(str)
              for k in named]
    codes = np.repeat(np.asarray(named, dtype=np.int8), [layers[k].members.size for k in named])
    names = pa.array([layer.name for layer in layers], type=pa.string())
    return pa.table({
        "agent": pa.array(np.concatenate([layers[k].members for k in named]).astype(np.int64)),
        "layer": pa.DictionaryArray.from_arrays(pa.array(codes), names),
        "label": pa.array(np.concatenate(labels)),
    })


def write_edgelist(path: str | os.PathLike, edges: np.ndarray,
                   labels: np.ndarray | None = None) -> None:
    """Write edges as a ``u v`` edge list, atomically (temporary file, then rename).

    Args:
        path: the file to (over)write.
        edges: array of shape (E, 2) of node indices.
        labels: optional id per node index, written instead of the index; ids must be
            non-empty and free of whitespace, commas and ``#`` so the file reads back.
    """
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    ids = edges if labels is None else np.asarray(labels)[edges]
    for t in [] if ids.dtype.kind in "iu" else map(str, np.unique(ids)):
        if not t or any(c.isspace() or c in ",#" for c in t):
            raise ValueError(f"labels: id {t!r} cannot be written; ids must be non-empty "
                             "without whitespace, ',' or '#'")
    name = os.fspath(path)
    # created as a plain open() creates a file (0o666 less the umask, applied by the kernel;
    # mkstemp would make it 0o600), under a fresh name beside the target, then renamed
    tmp = os.path.join(os.path.dirname(os.path.abspath(name)),
                       f".{os.path.basename(name)}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(f"# undirected edge list: {len(edges)} edges, one `u v` pair per line\n")
            f.write("".join(f"{a} {b}\n" for a, b in ids.tolist()))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, name)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def edges_to_networkx(n: int, edges: np.ndarray) -> nx.Graph:
    """An undirected :class:`networkx.Graph` on nodes ``0..n-1`` with the given edges."""
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(np.asarray(edges, dtype=np.int64).reshape(-1, 2).tolist())
    return g


def networkx_to_edges(g: nx.Graph) -> tuple[np.ndarray, np.ndarray]:
    """Canonical edges and labels of a networkx graph, relabelled as :func:`read_graph` does.

    Nodes are compared as ``str(node)``: ints and integer strings (``"42"``, ``"-7"``) give
    integer labels if all nodes are such, else labels are strings; two nodes with the same
    string (``1`` and ``"1"``) raise ValueError. Direction, parallel edges and self-loops are
    dropped.
    """
    if g.number_of_nodes() == 0:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)
    u, v, labels = _graph_pairs(g)
    return canonical_edges(u, v, labels.size), labels


def _regular(name: str, info: os.stat_result | None) -> None:
    """Refuse what is not a regular file: a device never ends, a pipe may never send."""
    if info is None:
        raise GraphFileError(name, "is a symbolic link to a file that does not exist")
    if not stat.S_ISREG(info.st_mode):
        raise GraphFileError(name, f"is {file_kind(info.st_mode)}, not a regular file; "
                             "expected an edge list or GraphML file")


def _read_bytes(name: str) -> bytes:
    """The file's bytes: a regular file only, and no more than its size when opened.

    Opened without blocking (a named pipe swapped in after validation cannot hang the run),
    checked with ``fstat`` on the open file, and read up to the size it had then, so a file
    that keeps growing cannot take more memory than the memory check counted.
    """
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except PermissionError:
        raise GraphFileError(name, "cannot be read (permission denied)") from None
    except FileNotFoundError:
        _regular(name, None)
        raise
    except OSError as e:
        raise GraphFileError(name, f"cannot be read ({e.strerror or e})") from None
    try:
        _regular(name, os.fstat(fd))
    except GraphFileError:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        try:
            data = f.read(info.st_size)
        except OSError as e:
            raise GraphFileError(name, f"cannot be read ({e.strerror or e})") from None
    codec = compression(name)
    return data if codec is None else _decompress(name, data, codec)


def _kind(name: str) -> str:
    """The file's name without a compression suffix, lower case (``g.csv.gz`` -> ``g.csv``)."""
    lower = name.lower()
    root, ext = os.path.splitext(lower)
    return root if ext in COMPRESSED else lower


def _decompress(name: str, data: bytes, codec: str) -> bytes:
    """The bytes of a compressed file, decompressed (xz by Python's lzma, others by Arrow)."""
    import lzma  # noqa: PLC0415 - compressed files only

    import pyarrow as pa  # noqa: PLC0415 - compressed files only

    try:
        if codec == "xz":
            return lzma.decompress(data)
        with pa.CompressedInputStream(pa.BufferReader(data), codec) as stream:
            return stream.read()
    except (OSError, lzma.LZMAError, pa.ArrowException, EOFError, ValueError) as e:
        raise GraphFileError(name, f"is not a complete {codec} file ({e}); expected a "
                             f"{codec}-compressed edge list") from None


def _read_graphml(name: str, data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import io  # noqa: PLC0415 - GraphML only

    try:
        g = nx.read_graphml(io.BytesIO(data))
    except PermissionError:
        raise GraphFileError(name, "cannot be read (permission denied)") from None
    except (ET.ParseError, nx.NetworkXError, ValueError, KeyError, TypeError,
            AttributeError) as e:
        raise GraphFileError(name, f"does not parse as GraphML ({e or type(e).__name__}); "
                             "expected a GraphML document, or an edge list named other than "
                             "*.graphml / *.xml") from None
    if g.number_of_nodes() == 0:
        raise GraphFileError(name, "has no edges; the GraphML graph has no nodes")
    return _graph_pairs(g)


def _read_parquet(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An edge table: columns ``source`` and ``target`` when present, else the first two."""
    import pyarrow as pa  # noqa: PLC0415 - Parquet files only
    import pyarrow.parquet as pq  # noqa: PLC0415 - Parquet files only

    try:
        schema = pq.read_schema(name)
        names = (["source", "target"] if {"source", "target"} <= set(schema.names)
                 else schema.names[:2])
        if len(names) < 2:
            raise GraphFileError(name, f"has {len(names)} column(s); expected an edge table "
                                 "with columns source and target (or two columns)")
        table = pq.read_table(name, columns=names)
    except PermissionError:
        raise GraphFileError(name, "cannot be read (permission denied)") from None
    except (OSError, pa.ArrowException) as e:
        raise GraphFileError(name, f"does not read as Parquet ({e}); expected a Parquet "
                             "edge table") from None
    if table.num_rows == 0:
        raise GraphFileError(name, "has no edges; the edge table has no rows")
    return _columns_to_pairs(name, table.column(0), table.column(1))


def _columns_to_pairs(name: str, a, b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node indices of both ends and the labels, from two Arrow columns of ids."""
    import pyarrow as pa  # noqa: PLC0415 - tables only
    import pyarrow.compute as pc  # noqa: PLC0415 - tables only

    if a.null_count or b.null_count:
        raise GraphFileError(name, "has an empty id; expected an id at both ends of every edge")
    if pa.types.is_integer(a.type) and pa.types.is_integer(b.type):
        a = a.to_numpy().astype(np.int64, copy=False)
        b = b.to_numpy().astype(np.int64, copy=False)
        return _relabel_pair(a, b)
    a, b = pc.cast(a, pa.string()), pc.cast(b, pa.string())
    if pc.any(pc.equal(pc.utf8_length(a), 0)).as_py() or pc.any(
            pc.equal(pc.utf8_length(b), 0)).as_py():
        raise GraphFileError(name, "has an empty id; expected an id at both ends of every edge")
    both = pa.chunked_array(a.chunks + b.chunks).combine_chunks().dictionary_encode()
    words = np.array([w.encode("utf-8") for w in both.dictionary.to_pylist()])
    order = np.argsort(words, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    labels, index = _relabel_words(words[order])
    index = index[rank[both.indices.to_numpy(zero_copy_only=False)]]
    return index[:len(a)], index[len(a):], labels


def _fast_edgelist(data: bytes
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, str] | None] | None:
    """A regular edge list read by Arrow's CSV reader, or None to let the numpy parser read it.

    Regular: UTF-8, comment lines (``#``, ``%``) only at the top, then (perhaps a header and)
    lines of the same number (2 or more) of fields separated by one tab, one comma or one
    space. Anything else (a comment at a line's end, runs of spaces, ragged lines, a header
    above names...) returns None; so does any error, which the numpy parser then reports with
    its line.
    """
    import pyarrow as pa  # noqa: PLC0415 - edge lists only
    import pyarrow.csv as pacsv  # noqa: PLC0415 - edge lists only

    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    head = data[skip:skip + _SNIFF]
    lines = head.split(b"\n")[:-1] if len(data) > skip + _SNIFF else head.split(b"\n")
    top = 0
    while top < len(lines) and lines[top].lstrip()[:1] in (b"#", b"%"):
        top += 1
    body = [line.rstrip(b"\r") for line in lines[top:top + 50] if line.strip()]
    if len(body) < 2 or any(c in b"".join(body) for c in (b"#", b"%", b'"')):
        return None
    for sep in (b"\t", b",", b" "):
        if sep in body[1]:
            break
    else:
        return None
    if b"  " in b"".join(body) or any(line.startswith(sep) or line.endswith(sep)
                                       for line in body):
        return None
    header = _header(data, skip)
    rows = top if header is None else header[1]      # the header's line: comments above it
    fields = body[1 if header is not None else 0].count(sep) + 1
    if fields < 2:
        return None
    try:
        table = pacsv.read_csv(
            pa.BufferReader(memoryview(data)[skip:]),
            # 1 MiB blocks: parsed in parallel on every core
            read_options=pacsv.ReadOptions(skip_rows=rows, autogenerate_column_names=True,
                                           block_size=1 << 20),
            parse_options=pacsv.ParseOptions(delimiter=sep.decode(), quote_char=False,
                                             ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(include_columns=["f0", "f1"]))
        a, b = table.column("f0"), table.column("f1")
        if not all(t.type in (pa.int64(), pa.string()) for t in (a, b)):
            return None       # other inferred types (floats, dates...) read as the text says
        u, v, labels = _columns_to_pairs("", a, b)
    except (pa.ArrowException, GraphFileError, ValueError):
        return None
    if (header is not None and labels.dtype == object and isinstance(labels[0], str)
            and not _named_columns(header[2])):
        return None           # names for ids: the numpy parser reads the first line as an edge
    return u, v, labels, None if header is None else (header[1], header[2])


def _graph_pairs(g: nx.Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node indices of both ends of every edge of ``g`` as stored, and the labels.

    Edges of a directed or multi graph are taken as stored, so reverse and parallel copies
    reach :func:`canonical_edges` and are counted as duplicates, not merged unseen.
    """
    nodes = list(g.nodes())
    labels, index = _relabel(nodes)
    position = dict(zip(nodes, index.tolist(), strict=True))
    pairs = np.array([(position[a], position[b]) for a, b in g.edges()],
                     dtype=np.int64).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1], labels


def _is_int(token: bytes) -> bool:
    return token.lstrip(b"+-").isdigit()


def _named_columns(text: str) -> bool:
    """Whether a header line's fields are all column names (:data:`_HEADER_WORDS`)."""
    return {f.lower() for f in text.split()} <= _HEADER_WORDS


def _header(data: bytes, skip: int, window: int = 1 << 16) -> tuple[int, int, str] | None:
    """A header line (``source target``) at the top of an edge list, or None.

    The first line with fields is a header when both its first two fields are column names
    (:data:`_HEADER_WORDS`: ``source target``, ``from to``...), or when one of them is not an
    integer while the next line's are: a file of integer ids whose first line names its
    columns. Otherwise, in a file with names for ids (``alice bob``), the first line is an
    edge. Only the first ``window`` bytes are looked at.

    Returns:
        ``(offset just after the header line, its 1-based line number, its text)``.
    """
    pos, line, found = skip, 0, None
    end = min(len(data), skip + window)
    while pos < end:
        stop = data.find(b"\n", pos, end)
        stop = end if stop < 0 else stop + 1
        line += 1
        # the ids: the first two fields (a weight or attributes may follow)
        fields = (data[pos:stop].split(b"#", 1)[0].split(b"%", 1)[0].replace(b",", b" ")
                  .split()[:2])
        if fields:
            if found is None:
                if all(map(_is_int, fields)):
                    return None
                found = (stop, line, b" ".join(fields).decode("utf-8", "replace"))
                if {f.decode("utf-8", "replace").lower() for f in fields} <= _HEADER_WORDS:
                    return found
            else:
                return found if all(map(_is_int, fields)) else None
        pos = stop
    return None


def _parse_edgelist(name: str, data: bytes
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, str] | None]:
    """Node indices of both ends of every edge line, the labels and the header skipped.

    A header line (:func:`_header`) is skipped when every other id is an integer; otherwise
    the file is read again from its start, the header being an edge between two names.
    """
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    bad = data.find(b"\0")
    text = data if bad < 0 else data[:bad]
    if np.frombuffer(text, dtype=np.uint8).max(initial=0) >= 0x80:
        try:
            text.decode("utf-8")
        except UnicodeDecodeError as e:    # the first byte that is not UTF-8, before any NUL
            bad = e.start
    if bad >= 0:
        raise GraphFileError(name, f"is not a text edge list (binary data at byte {bad}); "
                             "expected UTF-8 text with one `u v` pair per line")
    header = _header(data, skip)
    if header is not None:
        after, line, text = header
        if not data[after:].strip():
            raise GraphFileError(name, f"has a header (`{text}`) and no edges; expected one "
                                 "`u v` pair per line after it")
        u, v, labels = _parse_ids(name, data, after, line)
        if (labels.dtype != object or not isinstance(labels[0], str)
                or _named_columns(text)):
            return u, v, labels, (line, text)
    return (*_parse_ids(name, data, skip, 0), None)


def _parse_ids(name: str, data: bytes, skip: int, line0: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node indices and labels of the edge lines from byte ``skip`` (line ``line0 + 1``) on."""
    parts = []
    for buf, sep, starts, ends in _chunks(name, data, skip, line0):
        ids = _chunk_ints(buf, sep, starts, ends)
        if ids is None:
            break
        parts.append(ids)
    else:
        if not parts:
            raise GraphFileError(name, "has no edges; expected one `u v` pair per line")
        labels, index = _relabel_ints(np.concatenate(parts))
        return index[0::2], index[1::2], labels
    # Some id is not a plain integer: start again and keep every id as bytes.
    del parts
    words = [np.array(np.where(sep, np.uint8(0x20), buf).tobytes().split())
             for buf, sep, _, _ in _chunks(name, data, skip, line0)]
    uniq, inverse = np.unique(np.concatenate(words), return_inverse=True)
    del words
    labels, index = _relabel_words(uniq)
    index = index[inverse]
    return index[0::2], index[1::2], labels


def _chunks(name: str, data: bytes, skip: int, line0: int = 0):
    """Yield ``(bytes, separator mask, token starts, token ends)`` per block of whole lines.

    Blocks of ~8 MiB keep every temporary small enough to be recycled by the allocator; one
    pass over a 10^7-line file with file-sized temporaries spends most of its time faulting in
    fresh pages. Comments are blanked, and a line with other than 0 or 2 fields raises.
    """
    size, pos = len(data), skip
    while pos < size:
        stop = data.find(b"\n", min(pos + _CHUNK, size - 1))
        stop = size if stop < 0 else stop + 1
        buf = np.frombuffer(data, dtype=np.uint8, count=stop - pos, offset=pos)
        newlines = np.flatnonzero(buf == ord("\n"))
        hashes = np.flatnonzero((buf == ord("#")) | (buf == ord("%")))
        if hashes.size:
            buf = _blank_comments(buf, hashes, newlines)
        sep, starts, ends, fields = _fields(buf, newlines)
        extra = np.flatnonzero(fields > 2)
        if extra.size:
            # fields after the first two are ignored: blank them like a comment
            line = np.searchsorted(newlines, starts)
            first = np.searchsorted(line, extra)          # each such line's first token
            buf = _blank_comments(buf, starts[first + 2], newlines)
            sep, starts, ends, fields = _fields(buf, newlines)
        wrong = np.flatnonzero(fields == 1)
        if wrong.size:
            k = int(fields[wrong[0]])
            raise GraphFileError(name, f"has {k} field{'s' * (k != 1)}; {_FORMAT}",
                                 line=line0 + int(wrong[0]) + 1)
        if starts.size:
            yield buf, sep, starts, ends
        pos, line0 = stop, line0 + newlines.size


def _fields(buf: np.ndarray, newlines: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Separator mask, token starts and ends, and the number of fields of each line.

    Whitespace, control bytes and commas all separate fields; a UTF-8 multi-byte sequence
    never contains a byte <= 0x20, so ids in any script stay whole.
    """
    sep = (buf <= 0x20) | (buf == ord(","))
    tok, pad = ~sep, np.concatenate(([True], sep, [True]))
    starts = np.flatnonzero(tok & pad[:-2])
    ends = np.flatnonzero(tok & pad[2:]) + 1
    fields = np.bincount(np.searchsorted(newlines, starts), minlength=newlines.size + 1)
    return sep, starts, ends, fields


def _chunk_ints(buf: np.ndarray, sep: np.ndarray, starts: np.ndarray,
                ends: np.ndarray) -> np.ndarray | None:
    """The ids of one block as int64 if all are digit strings of <= 18 digits, else None."""
    length = ends - starts
    longest = int(length.max())
    if longest > 18 or np.any(~sep & ((buf < ord("0")) | (buf > ord("9")))):
        return None
    ids = np.zeros(starts.size, dtype=np.int64)
    # Horner's rule, one digit position per round, so the loop runs <= 18 times.
    for j in range(longest):
        at = np.flatnonzero(length > j) if j else slice(None)
        ids[at] = ids[at] * 10 + (buf[starts[at] + j] - ord("0"))
    return ids


def _blank_comments(buf: np.ndarray, hashes: np.ndarray, newlines: np.ndarray) -> np.ndarray:
    """A copy of ``buf`` with every byte from a line's first ``#`` to its end made a space."""
    line = np.searchsorted(newlines, hashes)
    first = np.concatenate(([True], line[1:] != line[:-1]))
    start, line = hashes[first], line[first]
    stop = np.append(newlines, buf.size)[line]
    # +1 at each comment start and -1 at its end; comments never overlap, so the running sum
    # is 1 exactly inside comments and fits in int8.
    edge = np.zeros(buf.size + 1, dtype=np.int8)
    edge[start] = 1
    edge[stop] -= 1
    out = buf.copy()
    out[np.cumsum(edge[:-1], dtype=np.int8).astype(bool)] = 0x20
    return out


def _relabel_pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_relabel_ints` of both ends of the edges at once: ``(a index, b index, labels)``.

    Ids that are already ``0..n-1`` with none missing (the usual case of a generated graph)
    are their own indices: nothing is gathered.
    """
    if a.size and min(int(a.min()), int(b.min())) == 0:
        hi = max(int(a.max()), int(b.max()))
        if hi < 4 * a.size + 1024:
            present = np.zeros(hi + 1, dtype=bool)
            present[a] = True
            present[b] = True
            if present.all():
                return a, b, np.arange(hi + 1, dtype=np.int64)
    labels, index = _relabel_ints(np.concatenate([a, b]))
    return index[:a.size], index[a.size:], labels


def _relabel_ints(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct ints and the index of each id among them."""
    lo, hi = int(ids.min()), int(ids.max())
    if lo >= 0 and hi < 4 * ids.size + 1024:
        # Dense ids (the common case): a presence table beats sorting 2E keys.
        present = np.zeros(hi + 1, dtype=bool)
        present[ids] = True
        rank = np.cumsum(present, dtype=np.int64) - 1
        return np.flatnonzero(present).astype(np.int64), rank[ids]
    uniq = np.sort(ids)
    uniq = uniq[np.concatenate(([True], uniq[1:] != uniq[:-1]))]
    return uniq, np.searchsorted(uniq, ids)


def _relabel_words(uniq: np.ndarray, *, merge: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Labels and the node index of each distinct byte-string id in ``uniq`` (sorted).

    Ids are integers when every one is ``[+-]digits``; spellings of one integer ("7", "07",
    "+7") then become one node, unless ``merge`` is False, when they stay strings.
    """
    body = np.strings.lstrip(uniq, b"+-")
    sign = np.strings.str_len(uniq) - np.strings.str_len(body)
    if np.all(np.strings.isdigit(body) & (sign <= 1)):
        try:
            values = uniq.astype(np.int64)
        except (OverflowError, ValueError):
            values = np.array([int(w) for w in uniq.tolist()], dtype=object)
        labels, index = np.unique(values, return_inverse=True)
        if merge or labels.size == uniq.size:
            return labels, index.astype(np.int64)
    return np.strings.decode(uniq, "utf-8").astype(object), np.arange(uniq.size)


def _relabel(nodes: list) -> tuple[np.ndarray, np.ndarray]:
    """Labels and the node index of each of ``nodes`` (distinct networkx node keys).

    Nodes are compared through ``str(node)``, so ints and integer strings both come back as
    integers; distinct nodes stay distinct ("7" and "07" keep their spellings).
    """
    words = np.array([str(x).encode("utf-8") for x in nodes])
    uniq, inverse = np.unique(words, return_inverse=True)
    if uniq.size < len(nodes):
        raise ValueError(f"graph nodes: {len(nodes)} nodes have only {uniq.size} distinct "
                         "ids as strings (e.g. 1 and '1'); relabel them first")
    labels, index = _relabel_words(uniq, merge=False)
    return labels, index[inverse].astype(np.int64)
