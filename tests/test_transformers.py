"""weightinit.patched() with transformers 5 for real: from_config is
reproducible and filled by weightinit (torch's constructors and transformers'
TORCH_INIT_FUNCTIONS table both); from_pretrained keeps loaded weights bit for
bit and fills only a new head; guard_torch_init_functions composes; the
import order of weightinit, patch() and transformers does not matter."""

import subprocess
import sys
import textwrap

import pytest
import torch

import weightinit as wi
from weightinit._frameworks import torch_info
from conftest import same_bits

transformers = pytest.importorskip("transformers")
from transformers import (  # noqa: E402
    LlamaConfig,
    LlamaForCausalLM,
    LlamaForSequenceClassification,
    initialization,
)

ORIGINALS = torch_info().nn_init


def tiny_config(**kw):
    return LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                       num_key_value_heads=2, vocab_size=256, pad_token_id=0, **kw)


def build(seed, patched, **kw):
    torch.manual_seed(seed)
    if patched:
        with wi.patched(**kw):
            return LlamaForCausalLM(tiny_config())
    return LlamaForCausalLM(tiny_config())


def assert_tables_original():
    for name, fn in initialization.TORCH_INIT_FUNCTIONS.items():
        assert fn is getattr(ORIGINALS, name)
    for name in initialization.TORCH_INIT_FUNCTIONS:
        assert getattr(torch.nn.init, name) is getattr(ORIGINALS, name)


def test_from_config_is_reproducible_and_not_torchs():
    a, b, theirs = build(0, True), build(0, True), build(0, False)
    assert_tables_original()
    sa, sb, st = a.state_dict(), b.state_dict(), theirs.state_dict()
    for name in sa:
        assert same_bits(sa[name], sb[name]), name
        if sa[name].is_floating_point() and sa[name].std() > 0:
            assert not torch.equal(sa[name], st[name]), name


def test_from_config_is_filled_by_weightinit_through_both_paths():
    """With a fixed weightinit.Generator for every fill the result no longer
    depends on the order of calls: each matrix holds weightinit's N(0, 0.02)
    from transformers' _init_weights (which overwrote torch's kaiming_uniform_),
    the padding row is zero, the norms are one."""
    model = build(0, True, generator_for=lambda t: wi.Generator(42))
    std = model.config.initializer_range
    for name, p in model.named_parameters():
        if p.dim() == 2:
            ref = wi.normal_(torch.empty(p.shape), 0.0, std, generator=wi.Generator(42))
            if name.endswith("embed_tokens.weight"):
                ref[0] = 0
            assert same_bits(p, ref), name
        else:
            assert torch.equal(p, torch.ones_like(p)), name
    # without patch, transformers' table holds torch's functions again
    assert_tables_original()


def test_from_pretrained_keeps_loaded_weights_and_fills_a_new_head(tmp_path):
    base = build(1, False)
    base.save_pretrained(tmp_path)
    saved = base.state_dict()
    torch.manual_seed(2)
    with wi.patched(generator_for=lambda t: wi.Generator(7)):
        clf = LlamaForSequenceClassification.from_pretrained(tmp_path, num_labels=3)
    loaded = clf.state_dict()
    n = 0
    for name, value in saved.items():
        if name.startswith("model."):
            assert same_bits(loaded[name], value), name
            n += 1
    assert n == len([k for k in loaded if k.startswith("model.")])
    head = clf.score.weight
    assert same_bits(head, wi.normal_(torch.empty(head.shape), 0.0, clf.config.initializer_range,
                                      generator=wi.Generator(7)))
    torch.manual_seed(2)
    theirs = LlamaForSequenceClassification.from_pretrained(tmp_path, num_labels=3)
    assert not torch.equal(theirs.score.weight, head)
    assert_tables_original()


def test_guard_torch_init_functions_composes_with_patch():
    with wi.patched():
        ours = torch.nn.init.normal_
        assert ours.__wrapped__ is wi.normal_
        assert initialization.TORCH_INIT_FUNCTIONS["normal_"] is ours
        with initialization.guard_torch_init_functions():
            assert torch.nn.init.normal_ is initialization.normal_
            t = torch.empty(10)
            t._is_hf_initialized = True
            before = t.clone()
            torch.nn.init.normal_(t)  # guarded: a loaded tensor is left alone
            assert same_bits(t, before)
            torch.manual_seed(3)
            u = torch.nn.init.normal_(torch.empty(10))
        assert torch.nn.init.normal_ is ours
        assert torch.nn.modules.activation.xavier_uniform_.__wrapped__ is wi.xavier_uniform_
    torch.manual_seed(3)
    assert same_bits(u, wi.normal_(torch.empty(10)))
    assert_tables_original()


IMPORT_ORDER = """
import hashlib, sys, torch
import weightinit as wi
from weightinit._frameworks import torch_info
{before}
with wi.patched():
    {inside}
    from transformers import LlamaConfig, LlamaForCausalLM, initialization
    torch.manual_seed(0)
    m = LlamaForCausalLM(LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                     num_attention_heads=4, num_key_value_heads=2, vocab_size=256))
    assert all(f.__wrapped__ is getattr(wi, n) for n, f in initialization.TORCH_INIT_FUNCTIONS.items())
orig = torch_info().nn_init
assert all(f is getattr(orig, n) for n, f in initialization.TORCH_INIT_FUNCTIONS.items())
assert torch.nn.modules.activation.xavier_uniform_ is orig.xavier_uniform_
h = hashlib.sha256()
for k, v in m.state_dict().items():
    h.update(k.encode()); h.update(v.numpy().tobytes())
print(h.hexdigest())
"""


def test_import_order_does_not_matter():
    """transformers imported before patch(), inside it, or weightinit
    imported before torch: the same model bits, and torch's functions back
    everywhere afterwards (fresh processes)."""
    orders = [("import transformers", "pass"), ("pass", "import transformers"),
              ("pass", "import transformers.models.llama.modeling_llama")]
    digests = []
    for before, inside in orders:
        code = IMPORT_ORDER.format(before=before, inside=inside)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        digests.append(out.stdout.strip())
    code = "import weightinit\n" + textwrap.dedent(IMPORT_ORDER.format(before="", inside="pass"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    digests.append(out.stdout.strip())
    assert len(set(digests)) == 1 and len(digests[0]) == 64
