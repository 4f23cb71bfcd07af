"""Tests of sim.world.graph_files: edge-list and GraphML reading, relabelling, the report, every
GraphFileError case, atomic writing and the networkx converters."""

from __future__ import annotations

import os

import networkx as nx
import numpy as np
import pytest

import sim.world.graph_files as gio
from sim.world.graph_files import (
    GraphFileError,
    GraphFileReport,
    edges_to_networkx,
    networkx_to_edges,
    read_graph,
    write_edgelist,
)


def _write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def _pairs(edges: np.ndarray, labels: np.ndarray) -> set[frozenset]:
    return {frozenset((labels[u], labels[v])) for u, v in edges.tolist()}


def _error(path) -> str:
    with pytest.raises(GraphFileError) as err:
        read_graph(path)
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message
    return message


# --- edge lists ------------------------------------------------------------------------------

def test_plain_edge_list(tmp_path):
    path = _write(tmp_path, "g.txt", "0 1\n1 2\n2 0\n2 3\n")
    edges, labels, report = read_graph(path)
    assert edges.tolist() == [[0, 1], [0, 2], [1, 2], [2, 3]]
    assert edges.dtype == np.int64 and labels.dtype == np.int64
    assert labels.tolist() == [0, 1, 2, 3]
    assert report == GraphFileReport(path=str(path), n_nodes=4, n_edges=4,
                                     self_loops_dropped=0, duplicates_dropped=0,
                                     relabelled=False)


def test_comments_blank_lines_tabs_and_crlf(tmp_path):
    text = ("# a header with many words\n\n1 2 # trailing comment, with, commas\n   \n"
            "#2 3 4\n2\t3\r\n3 4#glued comment\n  # indented comment\n4 1")
    edges, labels, report = read_graph(_write(tmp_path, "g.edges", text))
    assert labels.tolist() == [1, 2, 3, 4]
    assert _pairs(edges, labels) == {frozenset(p) for p in [(1, 2), (2, 3), (3, 4), (4, 1)]}
    assert report.relabelled is True  # ids 1..4, not 0..3


@pytest.mark.parametrize("name, text", [
    ("g.csv", "1,2\n2,3\n"),
    ("g.csv", "1, 2\n2 ,3\n"),
    ("g", "1 2\n2 3\n"),
    ("g.tsv", "1\t2\n2\t3\n"),
])
def test_separators_and_suffixes(tmp_path, name, text):
    edges, labels, _ = read_graph(_write(tmp_path, name, text))
    assert _pairs(edges, labels) == {frozenset((1, 2)), frozenset((2, 3))}


def test_string_ids_relabelled_in_sorted_order(tmp_path):
    edges, labels, report = read_graph(_write(tmp_path, "g.txt",
                                              "carol bob\nbob alice\ncafé alice\n"))
    assert labels.dtype == object and all(isinstance(x, str) for x in labels)
    assert labels.tolist() == ["alice", "bob", "café", "carol"]
    assert _pairs(edges, labels) == {frozenset(p) for p in
                                     [("carol", "bob"), ("bob", "alice"), ("café", "alice")]}
    assert report.relabelled is True


def test_mixed_ids_compare_as_strings(tmp_path):
    _, labels, _ = read_graph(_write(tmp_path, "g.txt", "10 a\n9 a\n"))
    assert labels.tolist() == ["10", "9", "a"]


def test_gapped_large_and_negative_int_ids_sort_numerically(tmp_path):
    text = "1000000000000 5\n5 -3\n-3 900000000000000000\n"
    edges, labels, report = read_graph(_write(tmp_path, "g.txt", text))
    assert labels.dtype == np.int64
    assert labels.tolist() == [-3, 5, 10**12, 9 * 10**17]
    assert _pairs(edges, labels) == {frozenset(p) for p in
                                     [(10**12, 5), (5, -3), (-3, 9 * 10**17)]}
    assert report.relabelled is True


def test_ints_beyond_int64_stay_exact(tmp_path):
    huge = 10**30
    edges, labels, _ = read_graph(_write(tmp_path, "g.txt", f"{huge} 2\n2 {huge + 1}\n"))
    assert labels.tolist() == [2, huge, huge + 1]
    assert _pairs(edges, labels) == {frozenset((huge, 2)), frozenset((2, huge + 1))}


def test_spellings_of_one_integer_are_one_node(tmp_path):
    edges, labels, report = read_graph(_write(tmp_path, "g.txt", "1 +2\n02 3\n-0 1\n"))
    assert labels.tolist() == [0, 1, 2, 3]
    assert report.n_edges == 3


def test_self_loops_and_duplicates_dropped_and_counted(tmp_path):
    text = "1 1\n1 2\n2 1\n1 2\n2 3\n9 9\n"
    edges, labels, report = read_graph(_write(tmp_path, "g.txt", text))
    assert _pairs(edges, labels) == {frozenset((1, 2)), frozenset((2, 3))}
    assert report.self_loops_dropped == 2
    assert report.duplicates_dropped == 2  # "2 1" and the second "1 2"
    assert report.n_edges == 2
    assert report.n_nodes == 4  # node 9 appears only in a self-loop but is a node
    assert labels.tolist() == [1, 2, 3, 9]


def test_utf8_bom_is_ignored(tmp_path):
    _, labels, _ = read_graph(_write(tmp_path, "g.txt", b"\xef\xbb\xbf0 1\n1 2\n"))
    assert labels.tolist() == [0, 1, 2]


# --- errors ----------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    assert "does not exist" in _error(tmp_path / "nope.txt")


def test_directory(tmp_path):
    assert "directory" in _error(tmp_path)


def test_unreadable_file(tmp_path, monkeypatch):
    path = _write(tmp_path, "g.txt", "1 2\n")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(gio.os, "open", denied)
    assert "permission denied" in _error(path)


@pytest.mark.parametrize("content, offset", [
    (b"1 2\n\x00\x01\x02\x03", 4),
    (b"1 2\n2 3\xff\xfe\n", 7),
    (b"\x89PNG\r\n\x1a\n", 0),
    (b"0 1\n\x89PNG\r\n\x1a\n\x00\x00", 4),      # the first bad byte, not the first NUL
])
def test_binary_data(tmp_path, content, offset):
    message = _error(_write(tmp_path, "g.txt", content))
    assert "binary" in message and f"byte {offset}" in message


@pytest.mark.parametrize("content", ["", "\n\n  \n", "# only\n# comments\n", "4 4\n"])
def test_no_edges(tmp_path, content):
    assert "no edges" in _error(_write(tmp_path, "g.txt", content))


@pytest.mark.parametrize("content, fragment", [
    ("1 2\n2 3\n3\n", "line 3 has 1 field; expected 2 or more: `u v`"),
    ("# c\n1 2\n7\n", "line 3 has 1 field; expected 2 or more: `u v`"),
    ("1\n", "line 1 has 1 field"),
    ("1 2\n\n\n2 3 # x\n4 # y\n", "line 5 has 1 field"),
])
def test_wrong_number_of_fields(tmp_path, content, fragment):
    assert fragment in _error(_write(tmp_path, "g.txt", content))


def test_graphml_that_does_not_parse(tmp_path):
    message = _error(_write(tmp_path, "g.graphml", "<graphml><graph><node id='a'>"))
    assert "does not parse as GraphML" in message


# --- GraphML ---------------------------------------------------------------------------------

def test_graphml_round_trip(tmp_path):
    g = nx.barabasi_albert_graph(200, 3, seed=1)
    g.add_node(200)  # isolated nodes survive in GraphML
    path = tmp_path / "g.graphml"
    nx.write_graphml(g, path)
    edges, labels, report = read_graph(path)
    expected, _ = networkx_to_edges(g)
    assert np.array_equal(edges, expected)
    assert labels.tolist() == list(range(201))
    assert report.n_nodes == 201 and report.relabelled is False


def test_graphml_string_ids_and_directed_graph(tmp_path):
    g = nx.DiGraph([("b", "a"), ("a", "b"), ("a", "c"), ("c", "c")])
    path = tmp_path / "g.xml"
    nx.write_graphml(g, path)
    edges, labels, report = read_graph(path)
    assert labels.tolist() == ["a", "b", "c"]
    assert edges.tolist() == [[0, 1], [0, 2]]
    assert report.duplicates_dropped == 1 and report.self_loops_dropped == 1


# --- writing and converters ------------------------------------------------------------------

def test_write_edgelist_round_trip_and_atomic_overwrite(tmp_path):
    edges = np.array([[0, 1], [1, 2], [0, 2]])
    path = tmp_path / "g.txt"
    path.write_text("old content\n")
    write_edgelist(path, edges)
    assert os.listdir(tmp_path) == ["g.txt"], "no temporary file left behind"
    got, labels, report = read_graph(path)
    assert np.array_equal(got, np.array([[0, 1], [0, 2], [1, 2]]))
    assert not report.relabelled
    names = np.array(["x", "y", "z"], dtype=object)
    write_edgelist(path, edges, names)
    got, labels, _ = read_graph(path)
    assert _pairs(got, labels) == {frozenset(p) for p in [("x", "y"), ("y", "z"), ("x", "z")]}


def test_write_edgelist_rejects_unreadable_ids(tmp_path):
    with pytest.raises(ValueError, match="labels"):
        write_edgelist(tmp_path / "g.txt", np.array([[0, 1]]), np.array(["a b", "c"]))
    assert os.listdir(tmp_path) == []


def test_networkx_converters_round_trip():
    g = nx.watts_strogatz_graph(100, 4, 0.3, seed=2)
    edges, labels = networkx_to_edges(g)
    assert labels.tolist() == list(range(100))
    assert nx.utils.graphs_equal(edges_to_networkx(100, edges), nx.Graph(g))
    h = nx.relabel_nodes(g, {i: f"n{i:03d}" for i in g})
    edges2, labels2 = networkx_to_edges(h)
    assert np.array_equal(edges2, edges) and labels2[7] == "n007"
    mixed = nx.Graph([(2, "x"), (10, 2)])
    e3, l3 = networkx_to_edges(mixed)
    assert l3.tolist() == ["10", "2", "x"] and e3.tolist() == [[0, 1], [1, 2]]
    with pytest.raises(ValueError, match="distinct ids"):
        networkx_to_edges(nx.Graph([(1, "1"), (1, 2)]))
    # Distinct nodes "7" and "07" stay distinct, so their labels stay strings.
    assert networkx_to_edges(nx.Graph([("7", "07")]))[1].tolist() == ["07", "7"]


def test_large_file_parses(tmp_path):
    rng = np.random.default_rng(0)
    edges = rng.integers(0, 50_000, size=(200_000, 2)) * 3 + 7
    path = tmp_path / "big.edgelist"
    write_edgelist(path, edges)
    got, labels, report = read_graph(path)
    loops = int(np.sum(edges[:, 0] == edges[:, 1]))
    assert report.self_loops_dropped == loops
    assert report.n_edges + report.duplicates_dropped + loops == len(edges)
    key = {tuple(sorted(p)) for p in edges.tolist() if p[0] != p[1]}
    assert {tuple(p) for p in labels[got].tolist()} == key


def test_block_boundaries_do_not_change_the_result(tmp_path, monkeypatch):
    text = "# header\n" + "".join(f"{i} {i * 7 % 31}  # c\n" for i in range(40)) + "a b\n"
    path = _write(tmp_path, "g.txt", text)
    whole = read_graph(path)
    monkeypatch.setattr(gio, "_CHUNK", 5)  # a block per line or two
    parts = read_graph(path)
    assert np.array_equal(whole[0], parts[0]) and np.array_equal(whole[1], parts[1])
    assert whole[2] == parts[2]
    bad = _write(tmp_path, "bad.txt", "1 2\n" * 30 + "1 2 3\n" + "4\n")
    assert "line 32 has 1 field" in _error(bad)
    # a third field is ignored in every block, however the blocks cut the file
    extra = _write(tmp_path, "extra.txt", "".join(f"{i} {i + 1} {{}}\n" for i in range(40)))
    assert read_graph(extra)[2].n_edges == 40


# --- node ids in a run's outputs -------------------------------------------------------------

def _layer_pairs(layer, label_of: dict) -> set[frozenset]:
    """The layer's edges as pairs of file ids, through the nodes.parquet mapping."""
    rows = np.repeat(np.arange(layer.n_agents), layer.degree())
    return {frozenset((label_of[a], label_of[b]))
            for a, b in zip(rows.tolist(), layer.indices.tolist(), strict=True)}


@pytest.mark.parametrize("ids, dtype", [
    (["alice", "bob", "carol", "dave", "eve"], "str"),            # strings
    ([3, 10, 11, 400, 9000], "int64"),                             # gaps
    ([2**40 + 1, 2**41, 5 * 2**50, 2**62, 7], "int64"),            # ids above 2^40
    ([7, "x7", 2**45, "08", "b"], "str"),                          # mixed: compared as strings
])
def test_relabelled_ids_are_mapped_back_in_nodes_parquet(tmp_path, ids, dtype):
    import pandas as pd

    from sim import load_config, simulate, write_outputs

    pairs = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0), (0, 2), (2, 2), (1, 0)]  # loop, duplicate
    path = _write(tmp_path, "g.txt", "".join(f"{ids[a]} {ids[b]}\n" for a, b in pairs))
    config = load_config(["experiment=independent_cascade", f"graph={path}", "seeds=2",
                          "p=1"])
    result = simulate(config)
    write_outputs(result, tmp_path / "run")
    nodes = pd.read_parquet(tmp_path / "run" / "nodes.parquet")
    assert list(nodes.columns) == ["agent", "layer", "label"]
    assert str(nodes["label"].dtype) == dtype
    assert nodes["agent"].tolist() == list(range(5)) and set(nodes["layer"]) == {"graph"}
    assert sorted(map(str, nodes["label"])) == sorted(map(str, ids))
    label_of = dict(zip(nodes["agent"], nodes["label"], strict=True))
    [layer] = result.model.world.layers
    expected = {frozenset((str(ids[a]), str(ids[b]))) for a, b in pairs if a != b}
    assert {frozenset(map(str, p)) for p in _layer_pairs(layer, label_of)} == expected
    # every agent index in the other outputs resolves to a file id
    acts = pd.read_parquet(tmp_path / "run" / "activations.parquet")
    assert set(acts["agent"]) <= set(label_of) and len(acts) == 5   # p=1 reaches everyone


def test_file_layer_in_a_larger_population_maps_its_members(tmp_path):
    import pandas as pd

    from sim import load_config, simulate, write_outputs

    ids = [f"user{i}" for i in range(30)]
    lines = [f"{ids[i]} {ids[(i + 1) % 30]}\n{ids[i]} {ids[(i + 7) % 30]}\n" for i in range(30)]
    path = _write(tmp_path, "friends.csv", "".join(lines))
    config = load_config(["n=200", "steps=3", "network.personal.generator=file",
                          f"network.personal.path={path}", "network.professional.m=2",
                          "network.professional.company_degree=1", "output.chart=false"])
    result = simulate(config)
    write_outputs(result, tmp_path / "run")
    nodes = pd.read_parquet(tmp_path / "run" / "nodes.parquet")
    personal = result.model.world.layers[0]
    assert set(nodes["layer"]) == {"personal"}      # generated layers have no file ids
    assert nodes["agent"].tolist() == personal.members.tolist()
    assert nodes["agent"].max() < 200 and len(nodes) == 30
    label_of = dict(zip(nodes["agent"], nodes["label"], strict=True))
    expected = {frozenset((ids[i], ids[(i + j) % 30])) for i in range(30) for j in (1, 7)}
    assert _layer_pairs(personal, label_of) == expected


def test_generated_layers_write_no_nodes_table(tmp_path):
    from sim import load_config, simulate, write_outputs

    result = simulate(load_config(["n=300", "steps=2", "network.personal.mean_degree=4",
                                   "output.chart=false"]))
    write_outputs(result, tmp_path)
    assert not (tmp_path / "nodes.parquet").exists()


def test_dropped_self_loops_and_duplicates_are_logged(tmp_path, caplog):
    path = _write(tmp_path, "g.txt", "1 1\n1 2\n2 1\n2 3\n")
    with caplog.at_level("WARNING", logger="sim.world.graph_files"):
        read_graph(path)
    [record] = caplog.records
    assert record.getMessage() == (f"graph file '{path}': dropped 1 self-loop(s) and 1 "
                                   "duplicate edge(s); kept 2 edges between 3 nodes")
    caplog.clear()
    with caplog.at_level("WARNING", logger="sim.world.graph_files"):
        read_graph(_write(tmp_path, "clean.txt", "1 2\n2 3\n"))
    assert caplog.records == []


# --- a header line ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "source target\n1 2\n2 3\n3 1\n10 1\n",
    "# exported\n\nsource,target\n1,2\n2,3\n3,1\n10,1\n",          # after comments, CSV
    "from to # columns\n1 2\n2 3\n3 1\n10 1\n",
])
def test_a_header_line_above_integer_ids_is_skipped_and_said(tmp_path, caplog, text):
    path = _write(tmp_path, "g.txt", text)
    with caplog.at_level("WARNING", logger="sim.world.graph_files"):
        edges, labels, report = read_graph(path)
    assert labels.dtype == np.int64 and labels.tolist() == [1, 2, 3, 10]   # sorted as numbers
    assert report.n_nodes == 4 and report.n_edges == 4
    line = text.split("\n").index(next(ln for ln in text.split("\n") if ln[:1].isalpha())) + 1
    assert report.header is not None and report.header[0] == line
    [record] = caplog.records
    assert record.getMessage() == (f"graph file '{path}': line {line} `{report.header[1]}` is a "
                                   "header, not an edge: skipped")


def test_names_as_ids_keep_their_first_line_as_an_edge(tmp_path, caplog):
    path = _write(tmp_path, "g.txt", "carol dave\nalice bob\nbob carol\n")
    with caplog.at_level("WARNING", logger="sim.world.graph_files"):
        edges, labels, report = read_graph(path)
    assert report.header is None and caplog.records == []
    assert labels.tolist() == ["alice", "bob", "carol", "dave"] and report.n_edges == 3
    # unless it names the columns: a CSV edge table of names
    path = _write(tmp_path, "t.csv", "Source,Target\nalice,bob\nbob,carol\n")
    _, labels, report = read_graph(path)
    assert report.header == (1, "Source Target") and labels.tolist() == ["alice", "bob",
                                                                         "carol"]


def test_a_header_above_a_later_name_is_an_edge_after_all(tmp_path):
    # integers on line 2 but a name further on: ids are names, the first line is an edge
    path = _write(tmp_path, "g.txt", "left right\n1 2\n2 carol\n")
    _, labels, report = read_graph(path)
    assert report.header is None and set(labels.tolist()) == {"1", "2", "carol", "left",
                                                              "right"}


def test_line_numbers_after_a_header_stay_those_of_the_file(tmp_path):
    assert "line 4 has 1 field" in _error(_write(tmp_path, "g.txt",
                                                 "# c\nsrc dst\n1 2\n2\n"))


@pytest.mark.parametrize("kind", ["fifo", "device", "directory", "dangling link"])
def test_only_regular_files_are_read(tmp_path, kind):
    path = tmp_path / "g.txt"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    elif kind == "directory":
        path.mkdir()
    else:
        path.symlink_to(tmp_path / "gone")
    message = _error(path)
    assert ("not a regular file" in message if kind != "dangling link"
            else "symbolic link to a file that does not exist" in message)


# -- formats, label alignment across layers, graphs from Python -----------------------------

def _karate_files(tmp_path) -> dict[str, object]:
    """The karate club graph in every format the reader takes, by file name."""
    import bz2
    import gzip
    import lzma

    import pyarrow as pa
    import pyarrow.parquet as pq

    g = nx.karate_club_graph()
    plain = "".join(f"{u} {v}\n" for u, v in g.edges()).encode()
    nx.write_edgelist(g, tmp_path / "networkx.txt")                  # `0 1 {'weight': 4}`
    nx.write_edgelist(g, tmp_path / "networkx_nodata.txt", data=False)
    nx.write_weighted_edgelist(g, tmp_path / "weighted.tsv", delimiter="\t")
    nx.write_graphml(g, tmp_path / "karate.graphml")
    _write(tmp_path, "snap.txt", "# Undirected graph\n# FromNodeId\tToNodeId\n"
           + "".join(f"{u}\t{v}\n" for u, v in g.edges()))
    _write(tmp_path, "konect.txt", "% sym unweighted\n% 78 34 34\n" + plain.decode())
    _write(tmp_path, "table.csv", "source,target,weight\n"
           + "".join(f"{u},{v},1.5\n" for u, v in g.edges()))
    _write(tmp_path, "spaced.txt", "".join(f"  {u}   {v}  # trailing\n" for u, v in g.edges()))
    _write(tmp_path, "g.txt.gz", gzip.compress(plain))
    _write(tmp_path, "g.txt.bz2", bz2.compress(plain))
    _write(tmp_path, "g.txt.xz", lzma.compress(plain))
    with pa.CompressedOutputStream(str(tmp_path / "g.txt.zst"), "zstd") as out:
        out.write(plain)
    pq.write_table(pa.table({"weight": [1.0] * g.number_of_edges(),
                             "source": [u for u, _ in g.edges()],
                             "target": [v for _, v in g.edges()]}), tmp_path / "g.parquet")
    pq.write_table(pa.table({"a": [str(u) for u, _ in g.edges()],
                             "b": [str(v) for _, v in g.edges()]}), tmp_path / "names.parquet")
    return g


@pytest.mark.parametrize("name", ["networkx.txt", "networkx_nodata.txt", "weighted.tsv",
                                  "karate.graphml", "snap.txt", "konect.txt", "table.csv",
                                  "spaced.txt", "g.txt.gz", "g.txt.bz2", "g.txt.xz",
                                  "g.txt.zst", "g.parquet", "names.parquet"])
def test_every_format_reads_the_same_graph(tmp_path, name):
    g = _karate_files(tmp_path)
    edges, labels, report = read_graph(tmp_path / name)
    expected = {frozenset((u, v)) for u, v in g.edges()}
    assert {frozenset(int(x) for x in p) for p in _pairs(edges, labels)} == expected
    assert report.n_nodes == 34 and report.n_edges == 78
    assert report.header == ((1, "source target") if name == "table.csv" else None)


def test_the_fast_reader_and_the_numpy_parser_agree(tmp_path):
    rng = np.random.default_rng(3)
    pairs = rng.integers(0, 5000, size=(20000, 2))
    text = "# comment\n" + "".join(f"{a}\t{b}\t{w}\n" for (a, b), w in
                                   zip(pairs.tolist(), rng.random(20000).round(3), strict=True))
    data = text.encode()
    fast = gio._fast_edgelist(data)
    assert fast is not None                                     # a regular file takes it
    slow = gio._parse_edgelist("x", data)
    for a, b in zip(fast[:3], slow[:3], strict=True):
        assert np.array_equal(a, b)
    # irregular: comments at the ends of lines, runs of spaces, ragged lines
    assert gio._fast_edgelist(b"0 1 # a\n1 2\n2 3\n") is None
    assert gio._fast_edgelist(b"0  1\n1 2\n2 3\n") is None


def _config(*extra):
    from sim import load_config

    return load_config(["steps=5", "output.chart=false", *extra])


def _neighbours_by_label(model, k) -> dict:
    """Each member's neighbours on layer ``k``, as file labels."""
    layer = model.world.layers[k]
    label_of = dict(zip(layer.members.tolist(), layer.labels.tolist(), strict=True))
    return {label_of[a]: {label_of[b] for b in layer.indices[layer.indptr[a]:layer.indptr[a + 1]]
                          .tolist()} for a in layer.members.tolist()}


def test_two_layer_files_are_aligned_by_label(tmp_path):
    from sim import simulate

    # personal: a ring over p0..p9 and a..e; professional: a star over a..e and q0..q4
    people = [f"p{i}" for i in range(10)] + list("abcde")
    ring = [(people[i], people[(i + 1) % 15]) for i in range(15)]
    star = [("a", x) for x in list("bcde") + [f"q{i}" for i in range(5)]]
    personal = _write(tmp_path, "personal.txt", "".join(f"{u} {v}\n" for u, v in ring))
    professional = _write(tmp_path, "professional.csv",
                          "source,target\n" + "".join(f"{u},{v}\n" for u, v in star))
    result = simulate(_config("network.personal.generator=file",
                              f"network.personal.path={personal}",
                              "network.professional.generator=file",
                              f"network.professional.path={professional}"))
    model = result.model
    assert model.n_agents == 20                  # the union: 15 + 10 - 5 in common
    assert result.summary["n_agents"] == 20
    by_label = [_neighbours_by_label(model, k) for k in (0, 1)]
    expected = [nx.Graph(ring), nx.Graph(star)]
    for got, graph in zip(by_label, expected, strict=True):
        assert got == {u: set(graph[u]) for u in graph}
    # one person on both layers is one agent
    personal_layer, professional_layer = model.world.layers
    agent_of = [dict(zip(lay.labels.tolist(), lay.members.tolist(), strict=True))
                for lay in (personal_layer, professional_layer)]
    for x in "abcde":
        assert agent_of[0][x] == agent_of[1][x]
    assert model.world.member.sum(axis=0).max() == 2
    assert np.count_nonzero(model.world.member.all(axis=0)) == 5


def test_n_is_taken_from_the_layer_files_and_a_smaller_n_is_refused(tmp_path):
    from sim import simulate
    from sim.config import ConfigError

    ring = _write(tmp_path, "ring.txt", "".join(f"{i} {(i + 1) % 40}\n" for i in range(40)))
    files = ("network.personal.generator=file", f"network.personal.path={ring}",
             "network.professional.enabled=false")
    assert simulate(_config(*files)).summary["n_agents"] == 40
    assert simulate(_config(*files, "n=50")).summary["n_agents"] == 50   # 10 on no layer
    with pytest.raises(ConfigError, match=r"n=39: is below the 40 people the layer files"):
        simulate(_config(*files, "n=39"))


def test_networkx_graphs_are_layers_aligned_by_label(tmp_path):
    import pandas as pd

    from sim import simulate, write_outputs

    g1 = nx.les_miserables_graph()
    g2 = nx.Graph()
    g2.add_edges_from([("Valjean", "Javert"), ("Valjean", "Cosette"), ("Javert", "Thenardier"),
                       ("Marius", "Cosette"), ("Enjolras", "Marius"), ("Someone", "Else")])
    result = simulate(_config(), layers={"personal": g1, "professional": g2})
    model = result.model
    assert model.n_agents == len(set(g1) | set(g2)) == 79
    for k, graph in enumerate((g1, g2)):
        assert _neighbours_by_label(model, k) == {u: set(graph[u]) for u in graph}
    write_outputs(result, tmp_path / "run")
    nodes = pd.read_parquet(tmp_path / "run" / "nodes.parquet")
    assert set(nodes["label"]) == set(g1) | set(g2)
    # an explicit population: agents on no layer
    more = simulate(_config(), layers={"personal": g1}, population=[*g1, "Nobody", "Else"])
    assert more.model.n_agents == 79 and more.model.world.member.sum() == 77
    with pytest.raises(ValueError, match="not in it"):
        simulate(_config(), layers={"personal": g1}, population=["Valjean"])
    with pytest.raises(ValueError, match="'personal', 'professional'"):
        simulate(_config(), layers={"friends": g1})
    with pytest.raises(ValueError, match="a node whose label is empty"):
        simulate(_config(), layers={"personal": nx.Graph([("", "a"), ("a", "b")])})


def test_a_small_graph_says_when_the_budget_outgrows_it(caplog):
    from sim import simulate

    karate = nx.karate_club_graph()
    with caplog.at_level("WARNING", logger="mindshare"):
        result = simulate(_config(), layers={"personal": karate})
    assert "the brand seeded" in caplog.text and "of 34 agents" in caplog.text
    assert result.summary["placements_capped"] == 0
    caplog.clear()
    with caplog.at_level("WARNING", logger="mindshare"):
        rich = simulate(_config("budget.total=100000"), layers={"personal": karate})
    assert rich.summary["placements_capped"] > 0
    assert "placed on all 34 members of the personal layer" in caplog.text
    default = simulate(_config("n=3000"))
    assert default.summary["placements_capped"] == 0


def test_mixed_separators_are_read_and_a_line_of_one_field_is_not(tmp_path):
    # whitespace, tabs and commas all separate fields, mixed or not (the numpy parser reads
    # what the fast reader leaves); a line with one field names its line
    edges, labels, _ = read_graph(_write(tmp_path, "mixed.txt", "1 2\n2,3\n3\t4\n4 ,  5\n"))
    assert _pairs(edges, labels) == {frozenset(p) for p in [(1, 2), (2, 3), (3, 4), (4, 5)]}
    assert "line 3 has 1 field" in _error(_write(tmp_path, "bad.txt", "1 2\n2,3\n4\n"))
