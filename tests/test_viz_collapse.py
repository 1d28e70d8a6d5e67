"""viz.draw_dot on networks: clusters by neuron and layer, collapsed boxes, big-graph defaults."""

from __future__ import annotations

import html
import re
import time
import warnings
import xml.etree.ElementTree as ET

import pytest

from autograd import Value, topological_order
from autograd.nn import MLP, Layer, Neuron
from viz import VizWarning, draw_dot

SVG_NS = "{http://www.w3.org/2000/svg}"


def all_texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg.encode()).iter(f"{SVG_NS}text")]


def clusters(source: str) -> dict[str, list[str]]:
    """``{cluster name: ids of the value nodes declared directly or nested inside it}``."""
    found: dict[str, list[str]] = {}
    stack: list[str] = []
    for line in source.splitlines():
        m = re.match(r"\s*subgraph (cluster_\w+) \{", line)
        if m:
            stack.append(m.group(1))
            found[m.group(1)] = []
            continue
        if line.strip() == "}" and stack:
            stack.pop()
            continue
        node = re.match(r"\s*(v\d+) \[", line)
        if node:
            for name in stack:
                found[name].append(node.group(1))
    return found


def boxes(source: str) -> dict[str, str]:
    """``{box id: its label's text}`` for collapsed neuron (n*) and layer (l*) boxes."""
    out = {}
    for m in re.finditer(
        r'^\s*([nl]\d+) \[id="\1" class="group[^"]*".*?label=<(.*)>\];$', source, re.M
    ):
        out[m.group(1)] = re.sub(r"<[^>]+>", " ", m.group(2))
    return out


def net(fused: bool, nin: int = 3, sizes: tuple[int, ...] = (4, 2)) -> tuple[MLP, Value]:
    """A small tanh MLP on two Value inputs and one float; loss = sum of squared errors."""
    model = MLP(nin, list(sizes), activation="tanh", seed=1, fused=fused)
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1"), *([2.0] * (nin - 2))]
    out = model(x)
    outs = out if isinstance(out, list) else [out]
    loss = sum((o - 1.0) ** 2 for o in outs)
    loss.backward()
    return model, loss


# Values per neuron of MLP(3, [4, 2]) with tanh hidden layer and linear output:
#   fused:   layer 0: 3 w + b + linear node + tanh = 6;   layer 1: 4 w + b + linear = 6
#   unfused: layer 0: 3 w + b + 3 mul + 3 add + tanh = 11; layer 1: 4 w + b + 4 mul + 4 add = 13
PER_NEURON = {True: (6, 6), False: (11, 13)}


@pytest.mark.parametrize("fused", [True, False])
def test_clusters_by_layer_and_neuron(fused: bool) -> None:
    model, loss = net(fused)
    d = draw_dot(loss, model=model)
    assert d.collapse == "none"
    found = clusters(d.source)
    layer_clusters = [k for k in found if k.startswith("cluster_l")]
    neuron_clusters = [k for k in found if k.startswith("cluster_n")]
    assert len(layer_clusters) == 2 and len(neuron_clusters) == 6
    sizes = sorted(len(found[k]) for k in neuron_clusters)
    h, o = PER_NEURON[fused]
    assert sizes == sorted([h] * 4 + [o] * 2)
    assert sorted(len(found[k]) for k in layer_clusters) == sorted([4 * h, 2 * o])
    svg_texts = all_texts(d.svg())
    assert "layer 0 · tanh" in svg_texts and "layer 1 · linear" in svg_texts
    # parameters named after their place: w<layer>.<neuron>.<input>, b<layer>.<neuron>
    assert {"w0.0.0", "w0.3.1", "w1.1.3", "b0.0", "b1.1"} <= set(svg_texts)


@pytest.mark.parametrize("fused", [True, False])
def test_collapse_by_neuron_counts_values(fused: bool) -> None:
    model, loss = net(fused)
    d = draw_dot(loss, model=model, collapse="neuron")
    found = boxes(d.source)
    assert len(found) == 6 and all(k.startswith("n") for k in found)
    h, o = PER_NEURON[fused]
    counts = sorted(int(re.search(r"(\d+) values", t).group(1)) for t in found.values())
    assert counts == sorted([h] * 4 + [o] * 2)
    # every value is either in a box or drawn itself
    drawn = len(re.findall(r"^\s*v\d+ \[", d.source, re.M))
    assert drawn + sum(counts) == len(topological_order(loss))
    assert sum("tanh · " in t for t in found.values()) == 4
    texts = all_texts(d.svg())
    assert f"tanh · {h} values" in texts and f"linear · {o} values" in texts


@pytest.mark.parametrize("fused", [True, False])
def test_collapse_by_layer(fused: bool) -> None:
    model, loss = net(fused)
    d = draw_dot(loss, model=model, collapse="layer")
    found = boxes(d.source)
    h, o = PER_NEURON[fused]
    assert sorted(found) == ["l0", "l1"]
    assert "4 neurons" in found["l0"] and f"{4 * h} values" in found["l0"]
    assert "2 neurons" in found["l1"] and f"{2 * o} values" in found["l1"]
    assert d.source.count("l0 -> l1 ") == 1  # 8 value edges, one box edge
    assert "subgraph cluster" not in d.source


def test_model_may_be_a_layer_or_a_neuron() -> None:
    layer = Layer(2, 3, activation="relu", seed=0)
    x = [Value(1.0, label="x0"), Value(2.0, label="x1")]
    loss = sum(layer(x))
    loss.backward()
    assert len(boxes(draw_dot(loss, model=layer, collapse="neuron").source)) == 3
    neuron = Neuron(2, "tanh", seed=0, fused=False)
    y = neuron(x)
    y.backward()
    (text,) = boxes(draw_dot(y, model=neuron, collapse="neuron").source).values()
    assert "8 values" in text  # 2 w + b + 2 mul + 2 add + tanh


def test_without_a_model_fused_neurons_are_still_grouped() -> None:
    model, loss = net(True)
    with_model = boxes(draw_dot(loss, model=model, collapse="neuron").source)
    inferred = boxes(draw_dot(loss, collapse="neuron").source)
    assert sorted(with_model.values()) == sorted(inferred.values())
    layers = boxes(draw_dot(loss, collapse="layer").source)
    assert len(layers) == 2


def test_one_neuron_called_twice_is_one_box() -> None:
    model = MLP(2, [3, 1], seed=0)  # relu hidden layer, fused
    loss = model([1.0, 2.0]) + model([-1.0, 0.5])
    loss.backward()
    found = boxes(draw_dot(loss, model=model, collapse="neuron").source)
    assert len(found) == 4
    # hidden neuron: 2 w + b + one fused node per call = 5; output neuron: 3 w + b + 2 = 6
    counts = sorted(int(re.search(r"(\d+) values", t).group(1)) for t in found.values())
    assert counts == [5, 5, 5, 6]


def test_big_mlp_draws_collapsed_by_default_and_fast() -> None:
    model = MLP(64, [32, 10], seed=0)
    x = [Value(i / 64, label=f"x{i}") for i in range(64)]
    loss = sum((o - 1.0) ** 2 for o in model(x))
    loss.backward()
    t0 = time.perf_counter()
    with pytest.warns(VizWarning, match=r"collapse=None"):
        d = draw_dot(loss, model=model)
    svg = d.svg()
    elapsed = time.perf_counter() - t0
    assert elapsed < 3.0, f"collapsed MLP(64, [32, 10]) took {elapsed:.2f} s"
    assert d.collapse == "layer"
    found = boxes(d.source)
    # layer 0: 32 neurons of 64 w + b + fused relu node; layer 1: 10 of 32 w + b + linear node
    assert "32 neurons" in found["l0"] and f"{32 * 66} values" in found["l0"]
    assert "10 neurons" in found["l1"] and f"{10 * 34} values" in found["l1"]
    assert any("collapse=None" in t for t in all_texts(svg))  # the note, in the graph


def test_medium_network_collapses_by_neuron() -> None:
    model = MLP(2, [16, 16, 1], seed=0)  # micrograd's moons network: 337 parameters
    loss = (model([0.5, -0.2]) - 1.0) ** 2
    loss.backward()
    with pytest.warns(VizWarning):
        d = draw_dot(loss, model=model)
    assert d.collapse == "neuron"
    assert len(boxes(d.source)) == 33
    assert len(clusters(d.source)) == 3  # the boxes sit in their layers' clusters


def test_below_max_nodes_nothing_is_collapsed_and_no_warning() -> None:
    model, loss = net(True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = draw_dot(loss, model=model, max_nodes=300)
    assert d.collapse == "none" and not d.notes
    assert draw_dot(loss, model=model, max_nodes=10, collapse=None).collapse == "none"


def test_big_graph_without_neurons_or_parts() -> None:
    x = Value(0.3, label="x")
    y = x
    for _ in range(20):  # 41 values, no neurons, and every node reads x: no part of its own
        y = (y * x).tanh()
    y.backward()
    with pytest.warns(VizWarning, match="no neurons"):
        d = draw_dot(y, max_nodes=10)
    assert d.collapse == "none"
    with pytest.raises(ValueError, match=r"41 values.*collapse=None"):
        draw_dot(y, max_nodes=4)
    assert draw_dot(y, max_nodes=4, collapse=None).collapse == "none"


def test_legend_lists_only_what_is_drawn() -> None:
    model, loss = net(True)
    full = draw_dot(loss, model=model).source
    collapsed = draw_dot(loss, model=model, collapse="layer").source
    assert ">parameter</TD>" in full and ">collapsed</TD>" not in full
    assert ">parameter</TD>" not in collapsed and ">collapsed</TD>" in collapsed


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("collapse", ["neuron", "layer"])
def test_box_outputs_from_operands_match_the_children(fused: bool, collapse: str) -> None:
    # Drawing finds a box's outputs without building every node's children; both ways agree.
    from viz._core import _Structure

    model = MLP(2, [3, 3, 1], activation="tanh", seed=2, fused=fused)
    loss = sum((model([0.1 * s, -0.2 * s]) - 1.0) ** 2 for s in range(3))
    loss.backward()
    structure = _Structure(loss, model)
    groups = (
        [n.members for n in structure.neurons]
        if collapse == "neuron"
        else [
            [m for k in layer.neurons for m in structure.neurons[k].members]
            for layer in structure.layers
        ]
    )
    for members in groups:
        fast = structure.outputs_of(members, collapse)
        assert fast == structure.outputs_of(members)
    # the last layer's one neuron, used three times by the loss: three outputs, once each
    last = groups[-1]
    assert len(structure.outputs_of(last, collapse)) == 3


# --- networks drawn like the textbook ---------------------------------------------------


def test_nn_names_its_parameters_by_place() -> None:
    model = MLP(3, [4, 2], seed=0)
    labels = [
        [[w.label for w in n.w] + [n.b.label] for n in layer.neurons] for layer in model.layers
    ]
    assert labels[0][1] == ["w0.1.0", "w0.1.1", "w0.1.2", "b0.1"]
    assert labels[1][0] == ["w1.0.0", "w1.0.1", "w1.0.2", "w1.0.3", "b1.0"]
    assert [w.label for w in Neuron(2).w] == ["w0.0.0", "w0.0.1"]
    assert [n.b.label for n in Layer(2, 3).neurons] == ["b0.0", "b0.1", "b0.2"]


def test_without_model_a_network_is_drawn_with_its_parameters_and_neurons() -> None:
    """The labels autograd.nn gives are enough: parameters green and named, grouped by neuron."""
    model = MLP(3, [4, 4, 1], seed=1, fused=False)
    loss = (model([1.0, -2.0, 0.5]) - 1.0) ** 2
    loss.backward()
    plain, given = draw_dot(loss).source, draw_dot(loss, model=model).source
    params = {id(p) for p in model.parameters()}
    order = topological_order(loss)
    roles = dict(re.findall(r'\b(v\d+) \[id="v\d+" class="value (\w+)', plain))
    for i, v in enumerate(order):
        if v.is_leaf:
            assert roles[f"v{i}"] == ("parameter" if id(v) in params else "input"), v.label
    assert sorted(clusters(plain)) == sorted(clusters(given))  # 3 layers, 9 neurons
    assert len([c for c in clusters(plain) if c.startswith("cluster_n")]) == 9


def _x_of(svg: str, node_id: str) -> float:
    m = re.search(rf'<g id="{node_id}" class="node[^"]*">.*?<text[^>]*x="([\d.]+)"', svg, re.S)
    assert m, node_id
    return float(m.group(1))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_layers_neurons_are_drawn_in_order(seed: int) -> None:
    """Neuron 0 on the left (top to bottom drawing), then 1, 2, 3: never crossing the order."""
    model = MLP(2, [4, 3, 2], "sigmoid", "sigmoid", seed=seed, fused=False)
    out = model([0.05, 0.1])
    loss = (out[0] - 0.01) ** 2 + (out[1] - 0.99) ** 2
    loss.backward()
    svg = draw_dot(loss, "TB", collapse="neuron").svg()
    start = 0
    for width in (4, 3, 2):
        xs = [_x_of(svg, f"n{k}") for k in range(start, start + width)]
        assert xs == sorted(xs), (width, xs)
        start += width


def _cluster_centres(svg: str) -> dict[str, tuple[float, float]]:
    """Centre of each cluster's outline in the SVG (x right, y down), by cluster id."""
    out = {}
    for g in ET.fromstring(svg.encode()).iter(f"{SVG_NS}g"):
        if g.get("class") != "cluster":
            continue
        shapes = [e for e in g if e.tag.endswith(("path", "polygon"))]
        outline = [e.get("d") or e.get("points") or "" for e in shapes]
        nums = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", outline[0])]
        xs, ys = nums[0::2], nums[1::2]
        out[str(g.get("id"))] = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
    return out


def _mazur(model: MLP) -> Value:
    out = model([0.05, 0.1])
    return (out[0] - 0.01) ** 2 + (out[1] - 0.99) ** 2


def _summed(model: MLP) -> Value:
    out = model([0.5, -1.0, 2.0][: model.nin])
    return sum(((o - 0.5 * j) ** 2 for j, o in enumerate(out)), start=Value(0.0))


def _lecture(model: MLP) -> Value:
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    return sum(((model(x) - y) ** 2 for x, y in zip(xs, ys)), start=Value(0.0))


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "elementary"])
@pytest.mark.parametrize("rankdir", ["LR", "TB", "RL", "BT"])
@pytest.mark.parametrize(
    ("nin", "sizes", "loss"),
    [
        (3, [4, 4, 1], lambda m: m([1.0, -2.0, 0.5])),
        (3, [4, 4, 1], _lecture),
        (2, [2, 2], _mazur),
        (2, [4, 3, 2], _mazur),
        (3, [2, 5, 3], _summed),
        (2, [8, 8, 1], lambda m: m([0.5, -1.0])),
    ],
    ids=["3-4-4-1", "lecture", "2-2-2", "2-4-3-2", "3-2-5-3", "2-8-8-1"],
)
def test_a_network_drawn_in_full_has_its_neurons_in_order(
    fused: bool, rankdir: str, nin: int, sizes: list[int], loss: object
) -> None:
    """Each layer's neurons top to bottom (left to right graph) or left to right (top to
    bottom graph) in index order, as the textbook draws them: read from the rendered SVG."""
    for seed in (0, 1):
        model = MLP(nin, sizes, seed=seed, fused=fused)
        root = loss(model)  # type: ignore[operator]
        root.backward()
        svg = draw_dot(root, rankdir, model=model, collapse=None).svg()
        centres = _cluster_centres(svg)
        axis = 1 if rankdir in ("LR", "RL") else 0
        start = 0
        for li, width in enumerate(sizes):
            along = [centres[f"cluster_n{k}"][axis] for k in range(start, start + width)]
            assert along == sorted(along), (seed, li, along)
            start += width


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "elementary"])
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
@pytest.mark.parametrize(
    ("nin", "sizes", "loss"),
    [
        (3, [4, 4, 1], lambda m: m([1.0, -2.0, 0.5])),
        (2, [4, 3, 2], _mazur),
        (3, [2, 5, 3], _summed),
        (2, [6, 6, 1], lambda m: m([0.5, -1.0])),
    ],
    ids=["3-4-4-1", "2-4-3-2", "3-2-5-3", "2-6-6-1"],
)
def test_a_players_network_has_its_neurons_in_order(
    fused: bool, rankdir: str, nin: int, sizes: list[int], loss: object
) -> None:
    """The player's drawing carries a label on every edge (Graphviz lays those out as nodes
    of their own); its layers still have their neurons in index order."""
    from viz import backward_player

    for seed in (0, 1):
        model = MLP(nin, sizes, seed=seed, fused=fused)
        root = loss(model)  # type: ignore[operator]
        player = backward_player(root, model=model, collapse=None, rankdir=rankdir)
        centres = _cluster_centres(player.svg[player.svg.index("<svg") :])
        axis = 1 if rankdir == "LR" else 0
        start = 0
        for li, width in enumerate(sizes):
            along = [centres[f"cluster_n{k}"][axis] for k in range(start, start + width)]
            assert along == sorted(along), (seed, li, along)
            start += width


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_collapsed_neurons_are_in_order_either_way(rankdir: str) -> None:
    model = MLP(3, [4, 4, 1], seed=0)
    out = model([1.0, -2.0, 0.5])
    out.backward()
    svg = draw_dot(out, rankdir, model=model, collapse="neuron").svg()
    axis = "y" if rankdir == "LR" else "x"
    for first in (0, 4):
        at = []
        for k in range(first, first + 4):
            box = rf'<g id="n{k}" class="node[^"]*">.*?<text[^>]*{axis}="([-\d.]+)"'
            m = re.search(box, svg, re.S)
            assert m, k
            at.append(float(m.group(1)))
        assert at == sorted(at), (first, at)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "elementary"])
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_a_collapsed_networks_inputs_are_in_order(fused: bool, rankdir: str) -> None:
    model = MLP(3, [4, 4, 1], seed=0, fused=fused)
    xs = [Value(x, label=f"x{i}") for i, x in enumerate([1.0, -2.0, 0.5])]
    out = model(xs)
    out.backward()
    svg = draw_dot(out, rankdir, model=model, collapse="neuron").svg()
    at = {}
    for i in range(200):
        if f'<g id="v{i}" class="node' in svg:
            text, x, y = _text_at(svg, f"v{i}")
            at[text] = y if rankdir == "LR" else x
    along = [at[f"x{i}"] for i in range(3)]
    assert along == sorted(along), along


def _text_at(svg: str, node_id: str) -> tuple[str, float, float]:
    """The first text of a node in the SVG and where it is (x right, y down)."""
    m = re.search(
        rf'<g id="{re.escape(node_id)}" class="node[^"]*">.*?<text[^>]*x="([-\d.]+)" '
        rf'y="([-\d.]+)"[^>]*>([^<]*)</text>',
        svg,
        re.S,
    )
    assert m, node_id
    return html.unescape(m.group(3)), float(m.group(1)), float(m.group(2))


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_a_neurons_weights_and_the_inputs_are_in_order(rankdir: str) -> None:
    """w.0, w.1, w.2 then b down a neuron (across it, top to bottom), and the inputs in
    the order the network reads them."""
    model = MLP(3, [4, 4, 1], seed=0)
    out = model([1.0, -2.0, 0.5])
    out.backward()
    svg = draw_dot(out, rankdir, model=model, collapse=None).svg()
    axis = 2 if rankdir == "LR" else 1
    found = {}
    for i in range(200):
        for prefix in ("v", "c"):
            if f'<g id="{prefix}{i}" class="node' in svg:
                text, x, y = _text_at(svg, f"{prefix}{i}")
                found[text] = (text, x, y)[axis]
    for layer, (n_neurons, n_in) in enumerate([(4, 3), (4, 4), (1, 4)]):
        for k in range(n_neurons):
            names = [f"w{layer}.{k}.{i}" for i in range(n_in)] + [f"b{layer}.{k}"]
            along = [found[name] for name in names]
            assert along == sorted(along), (names, along)
    along = [found[x] for x in ("1", "-2", "0.5")]
    assert along == sorted(along), along


# --- big expressions: parts drawn as boxes ----------------------------------------------


def _long_sum(terms: int) -> tuple[Value, list[float]]:
    xs = [Value(float(i % 7 - 3), label=f"x{i}") for i in range(terms)]
    ws = [Value((i % 5) / 10, label=f"w{i}") for i in range(terms)]
    out = xs[0] * ws[0]
    for x, w in zip(xs[1:], ws[1:]):
        out = out + x * w
    out.backward()
    return out, [x.data * w.data for x, w in zip(xs, ws)]


def _drawn(source: str) -> tuple[int, dict[str, str]]:
    """Value boxes drawn, and the collapsed boxes' labels by id."""
    values = len(re.findall(r"^\s*v\d+ \[", source, re.M))
    boxes = dict(re.findall(r"^\s*(n\d+) \[.*?label=<(.*?)>\];$", source, re.M))
    return values, boxes


def test_a_long_sum_is_drawn_with_its_first_terms_as_one_box() -> None:
    """200 terms (799 values) with max_nodes=40: the smallest part that fits (the running sum
    of the first terms) is one box with its value and gradient; the last terms in full."""
    out, products = _long_sum(200)
    with pytest.warns(VizWarning, match=r"799 values, more than max_nodes=40: 1 part"):
        d = draw_dot(out, max_nodes=40)
    assert d.collapse == "part"
    values, boxes = _drawn(d.source)
    assert len(boxes) == 1 and values + len(boxes) <= 40
    (label,) = boxes.values()
    hidden = int(re.search(r"(\d+) values", label).group(1))  # type: ignore[union-attr]
    assert values + hidden == 799
    first = (hidden + 1) // 4  # each term: x, w, x*w, and a + joining it (but the first)
    assert f"out {sum(products[:first]):.4f}" in label and "grad 1.0000" in label
    assert f"{first} *" in label and f"{first - 1} +" in label
    texts = all_texts(d.svg())
    assert "x199" in texts and f"x{first}" in texts and f"x{first - 1}" not in texts


def test_parts_are_apart_and_fit_the_budget() -> None:
    """A balanced sum of 128 products: several parts, none inside another, and the drawing
    within max_nodes; every value is drawn or inside exactly one box."""
    leaves = [
        Value(0.01 * i, label=f"a{i}") * Value(1.0 - 0.01 * i, label=f"b{i}") for i in range(128)
    ]
    while len(leaves) > 1:
        leaves = [leaves[i] + leaves[i + 1] for i in range(0, len(leaves), 2)]
    root = leaves[0]
    root.backward()
    total = len(topological_order(root))
    with pytest.warns(VizWarning, match="parts of the expression"):
        d = draw_dot(root, max_nodes=60)
    values, boxes = _drawn(d.source)
    hidden = [int(m) for label in boxes.values() for m in re.findall(r"(\d+) values", label)]
    assert len(boxes) > 1 and values + len(boxes) <= 60
    assert values + sum(hidden) == total


def test_a_part_is_never_cut_from_a_shared_leaf() -> None:
    """a is read by every term, so nothing but the whole reads only leaves of its own: no
    part, and the old warning (drawn in full)."""
    a = Value(2.0, label="a")
    out = a * 1.0
    for i in range(60):
        out = out + a * Value(float(i), label=f"c{i}")
    out.backward()
    with pytest.warns(VizWarning):
        d = draw_dot(out, max_nodes=20)
    assert "parts of the expression" not in d.source
    assert d.collapse == "none"
