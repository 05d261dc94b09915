"""weightinit.materialize in one process: the name key (values equal the
documented fork-generator fills), independence from the order of
initialisation, from the submodules present and from the thread count;
allocation, ties, seeds, the unwritten-tensor error, the bypass warning, and
a transformers Llama with HF's distributions.  Sharded runs:
test_materialize_dist.py."""

import math
import warnings

import pytest
import torch
from torch import nn

import nets
import weightinit as wi
from conftest import same_bits


def state(model):
    return nets.full_state(model)


def on_meta(make):
    with torch.device("meta"):
        return make()


def test_values_are_the_fills_of_each_names_generator():
    m = wi.materialize(on_meta(lambda: nn.Linear(30, 20)), seed=7)
    w, b = torch.empty(20, 30), torch.empty(20)
    wi.kaiming_uniform_(w, a=math.sqrt(5), generator=wi.Generator(7).fork("weight"))
    wi.uniform_(b, -1 / math.sqrt(30), 1 / math.sqrt(30), generator=wi.Generator(7).fork("bias"))
    assert same_bits(m.weight, w) and same_bits(m.bias, b)
    assert m.weight.device.type == "cpu" and m.weight.requires_grad


def test_fill_number_k_of_a_tensor_uses_stream_k():
    """nn.Transformer: Linear.reset_parameters fills each weight (stream 0),
    then Transformer._reset_parameters, run after its children, fills every
    matrix again with xavier_uniform_ (stream 1)."""
    t = wi.materialize(on_meta(lambda: nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1,
                                                      num_decoder_layers=1, dim_feedforward=24)), seed=1)
    for name in ("encoder.layers.0.linear1.weight", "decoder.layers.0.multihead_attn.in_proj_weight"):
        g = wi.Generator(1).fork(name)
        p = t.get_parameter(name)
        w = torch.empty(p.shape)
        if name.endswith("linear1.weight"):
            wi.kaiming_uniform_(w, a=math.sqrt(5), generator=g)
        else:
            wi.xavier_uniform_(w, generator=g)  # MultiheadAttention._reset_parameters
        wi.xavier_uniform_(w, generator=g)
        assert same_bits(p, w), name
    assert not t.encoder.layers[0].self_attn.out_proj.bias.any()


@pytest.mark.parametrize("init", [None, nets.user_init], ids=["own init", "init="])
def test_order_of_initialisation_does_not_matter(init):
    forward = state(wi.materialize(nets.on_meta(), seed=3, init=init))
    backward = state(wi.materialize(nets.on_meta(reverse=True), seed=3, init=init))
    assert list(forward) != list(backward)  # really registered in another order
    assert forward.keys() == backward.keys()
    assert all(same_bits(forward[n], backward[n]) for n in forward)


def test_a_pipeline_stage_gets_its_layers_of_the_whole_model():
    whole = state(wi.materialize(nets.on_meta(), seed=5))
    model = nets.on_meta()
    del model.layers["0"], model.layers["3"]
    stage = state(wi.materialize(model, seed=5))
    assert any(n.startswith("layers.1.") for n in stage) and not any(n.startswith("layers.0.") for n in stage)
    assert all(same_bits(t, whole[n]) for n, t in stage.items())


def test_other_seeds_give_other_values_and_thread_counts_do_not():
    threads = wi.get_num_threads()
    try:
        wi.set_num_threads(1)
        one = state(wi.materialize(on_meta(lambda: nn.Linear(1024, 512)), seed=2))
        wi.set_num_threads(3)
        three = state(wi.materialize(on_meta(lambda: nn.Linear(1024, 512)), seed=2))
    finally:
        wi.set_num_threads(threads)
    assert all(same_bits(one[n], three[n]) for n in one)
    other = state(wi.materialize(on_meta(lambda: nn.Linear(1024, 512)), seed=3))
    assert not torch.equal(one["weight"], other["weight"])


def test_views_blocks_and_explicit_generators_are_keyed_by_the_tensor():
    def init(m):
        if isinstance(m, nn.Linear):
            wi.normal_(m.weight.data[2:], generator=torch.Generator().manual_seed(0))
            wi.normal_(m.weight.T[:, :2])  # rows 0-1, through a transposed view
            wi.uniform_(wi.block(m.bias[3:], (9,), (3,)))
            wi.zeros_(m.bias[:3])

    m = wi.materialize(on_meta(lambda: nn.Linear(4, 6)), seed=11, init=init)
    g = wi.Generator(11).fork("weight")
    rest, first = torch.empty(4, 4), torch.empty(4, 2)
    wi.normal_(rest, generator=g)
    wi.normal_(first, generator=g)
    assert same_bits(m.weight[2:], rest) and same_bits(m.weight.T[:, :2], first)
    full = torch.empty(9)
    wi.uniform_(full, generator=wi.Generator(11).fork("bias"))
    assert same_bits(m.bias[3:], full[3:6]) and not m.bias[:3].any()


def test_structured_fills_are_keyed_too():
    def init(m):
        if isinstance(m, nn.Linear):
            wi.orthogonal_(m.weight)
            wi.sparse_(m.bias.unsqueeze(1), 0.5)

    m = wi.materialize(on_meta(lambda: nn.Linear(5, 8)), seed=4, init=init)
    w, b = torch.empty(8, 5), torch.empty(8, 1)
    wi.orthogonal_(w, generator=wi.Generator(4).fork("weight"))
    wi.sparse_(b, 0.5, generator=wi.Generator(4).fork("bias"))
    assert same_bits(m.weight, w) and same_bits(m.bias, b[:, 0])


def test_shared_tensors_stay_shared_and_take_their_first_name():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 4)
            self.head = nn.Linear(4, 10, bias=False)
            self.head.weight = self.emb.weight

    m = wi.materialize(on_meta(Tied), seed=0)
    assert m.head.weight is m.emb.weight
    w = torch.empty(10, 4)
    g = wi.Generator(0).fork("emb.weight")
    wi.normal_(w, generator=g)
    wi.kaiming_uniform_(w, a=math.sqrt(5), generator=g)  # then head's, as nn.Module.apply goes
    assert same_bits(m.emb.weight, w)


def test_seed_none_draws_one_seed_from_torch():
    torch.manual_seed(21)
    a = state(wi.materialize(nets.on_meta()))
    torch.manual_seed(21)
    seed = torch.empty((), dtype=torch.int64).random_().item()
    b = state(wi.materialize(nets.on_meta(), seed=seed))
    assert all(same_bits(a[n], b[n]) for n in a)
    c = state(wi.materialize(nets.on_meta()))  # the generator moved on
    assert not torch.equal(c["head.weight"], a["head.weight"])


def test_padding_rows_norm_layers_and_buffers():
    m = wi.materialize(on_meta(lambda: nn.Sequential(nn.Embedding(9, 4, padding_idx=2), nn.BatchNorm1d(4),
                                                     nn.LayerNorm(4))), seed=0)
    assert not m[0].weight[2].any() and m[0].weight[1].all()
    assert not m[1].running_mean.any() and (m[1].running_var == 1).all()
    assert m[1].num_batches_tracked.item() == 0
    assert (m[2].weight == 1).all() and not m[2].bias.any()


class Custom(nn.Module):
    """A parameter filled only in __init__: on meta, nothing initialises it."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(3))
        self.register_buffer("table", torch.arange(4.0))
        self.lin = nn.Linear(3, 3)


def test_tensors_no_init_wrote_are_named_in_an_error():
    with pytest.raises(RuntimeError, match=r"no init wrote scale, table \(allocated"):
        wi.materialize(on_meta(Custom), seed=0)

    def init(m):
        if isinstance(m, Custom):
            torch.nn.init.ones_(m.scale.data)  # patched: weightinit's, seen through .data
            m.table.copy_(torch.arange(4.0))
        elif isinstance(m, nn.Linear):
            m.reset_parameters()

    m = wi.materialize(on_meta(Custom), seed=0, init=init)
    assert (m.scale == 1).all() and torch.equal(m.table, torch.arange(4.0))


def test_tensors_with_values_are_moved_and_kept_when_no_init_writes_them():
    m = Custom()  # on the CPU, with its values
    m.lin.to("meta")
    m.scale.data.fill_(2.0)
    wi.materialize(m, "cpu", seed=0)
    assert (m.scale == 2).all() and torch.equal(m.table, torch.arange(4.0))
    assert m.lin.weight.device.type == "cpu"


def test_a_draw_from_torchs_generator_warns():
    def init(m):
        if isinstance(m, nn.Linear):
            m.weight.copy_(torch.randn(m.weight.shape))
            m.bias.zero_()

    with pytest.warns(UserWarning, match="drew from torch's default generator"):
        wi.materialize(on_meta(lambda: nn.Linear(3, 2)), seed=0, init=init)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wi.materialize(nets.on_meta(), seed=0)  # every fill of every torch module is weightinit's


def test_bad_arguments():
    with pytest.raises(TypeError, match="module must be a torch.nn.Module, not Tensor"):
        wi.materialize(torch.empty(3))
    with pytest.raises(RuntimeError, match=r"seed must be in \[-2\*\*63, 2\*\*64\)"):
        wi.materialize(nets.on_meta(), seed=2**64)
    model = nets.on_meta()
    with torch.device("meta"), pytest.raises(RuntimeError, match="pass device="):
        wi.materialize(model, seed=0)


def test_materialize_returns_the_module_unpatched_and_unhooked():
    from weightinit import _target

    model = nets.on_meta()
    assert wi.materialize(model, seed=0) is model
    assert not wi.is_patched() and _target.name_key is None


# transformers: a Llama built on meta and materialised has what from_config
# gives it (HF's _init_weights: normal(0, initializer_range), norms 1, RoPE
# buffers computed).
LLAMA = dict(hidden_size=128, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, vocab_size=512, initializer_range=0.03)


def test_a_llama_materialised_from_meta_has_hfs_distributions():
    import transformers  # pinned in the [test] extra
    cfg = transformers.LlamaConfig(**LLAMA)
    torch.manual_seed(0)
    ref = transformers.LlamaForCausalLM._from_config(cfg)  # torch's values
    m = on_meta(lambda: transformers.LlamaForCausalLM(cfg))
    wi.materialize(m, seed=0)
    ours = list(m.named_parameters()) + list(m.named_buffers())
    theirs = dict(list(ref.named_parameters()) + list(ref.named_buffers()))
    assert [n for n, _ in ours] == list(theirs)
    for name, t in ours:
        r = theirs[name]
        assert t.shape == r.shape and t.dtype == r.dtype and t.device.type == "cpu", name
        if t.dim() == 2:  # embeddings and projections: N(0, initializer_range)
            n = t.numel()
            assert abs(t.mean().item()) < 4 * 0.03 / math.sqrt(n), name
            assert abs(t.std().item() / 0.03 - 1) < 4 / math.sqrt(2 * n), name
            assert abs(t.std().item() / r.std().item() - 1) < 8 / math.sqrt(2 * n), name
        else:  # RMSNorm weights (ones) and RoPE inv_freq: exactly from_config's
            assert torch.equal(t, r), name
    again = on_meta(lambda: transformers.LlamaForCausalLM(cfg))
    wi.materialize(again, seed=0)
    assert all(same_bits(t, again.get_parameter(n)) for n, t in m.named_parameters())


def test_a_module_hfs_rules_leave_unwritten_gets_its_torch_default():
    """from_config keeps the constructor's torch init where _init_weights has
    no rule (here nn.Bilinear); materialize runs that module's reset_parameters."""
    import transformers

    class Config(transformers.PretrainedConfig):
        model_type = "weightinit-test"

    class Model(transformers.PreTrainedModel):
        config_class = Config

        def __init__(self, config):
            super().__init__(config)
            self.proj = nn.Linear(6, 4)
            self.pair = nn.Bilinear(4, 3, 2)
            self.post_init()

    m = wi.materialize(on_meta(lambda: Model(Config(initializer_range=0.5))), seed=9)
    g = wi.Generator(9).fork
    w, pw, pb = torch.empty(4, 6), torch.empty(2, 4, 3), torch.empty(2)
    wi.normal_(w, std=0.5, generator=g("proj.weight"))  # HF's rule for Linear
    wi.uniform_(pw, -0.5, 0.5, generator=g("pair.weight"))  # Bilinear: 1 / sqrt(in1_features)
    wi.uniform_(pb, -0.5, 0.5, generator=g("pair.bias"))
    assert same_bits(m.proj.weight, w) and not m.proj.bias.any()
    assert same_bits(m.pair.weight, pw) and same_bits(m.pair.bias, pb)
