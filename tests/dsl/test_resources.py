"""Resources (Kubernetes quantities, GPUs, placement) and RuntimeParameter validation."""

from __future__ import annotations

import dataclasses

import pytest

from headrace.dsl import Resources, RuntimeParameter
from headrace.errors import DefinitionError


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("500m", "500m"),
        ("2Gi", "2Gi"),
        (1, "1"),
        ("1.5", "1.5"),
        (0.5, "0.5"),
        ("512Mi", "512Mi"),
        ("4", "4"),
        ("1k", "1k"),
        ("3E", "3E"),
    ],
)
@pytest.mark.parametrize("field", ["cpu", "memory", "cpu_limit", "memory_limit"])
def test_good_quantities_are_kept_as_strings(field, given, stored):
    assert getattr(Resources(**{field: given}), field) == stored


@pytest.mark.parametrize("bad", ["2 GB", "2GB", "-1", "", "1.", "abc", "1gi", "1Gi ", 1e-5])
@pytest.mark.parametrize("field", ["cpu", "memory", "cpu_limit", "memory_limit"])
def test_bad_quantities_are_rejected_naming_the_field(field, bad):
    with pytest.raises(
        DefinitionError,
        match=rf"Resources\.{field}=.* is not a Kubernetes quantity; write it like '500m'",
    ):
        Resources(**{field: bad})


def test_defaults():
    r = Resources()
    assert (r.cpu, r.memory, r.cpu_limit, r.memory_limit) == (None, None, None, None)
    assert (r.gpu, r.gpu_vendor) == (0, "nvidia.com/gpu")
    assert r.node_selector == {} and r.tolerations == ()


@pytest.mark.parametrize("gpu", [-1, True, "1", 1.0])
def test_gpu_must_be_a_whole_number(gpu):
    with pytest.raises(DefinitionError, match=r"Resources\.gpu=.* must be a whole number >= 0"):
        Resources(gpu=gpu)


def test_gpu_vendor_must_be_an_extended_resource_key():
    assert Resources(gpu=1, gpu_vendor="amd.com/gpu").gpu_vendor == "amd.com/gpu"
    with pytest.raises(
        DefinitionError,
        match=r"Resources\.gpu_vendor='nvidia' must be an extended-resource key such as "
        r"'nvidia.com/gpu'",
    ):
        Resources(gpu=1, gpu_vendor="nvidia")


def test_placement_is_copied_into_plain_values():
    selector = {"accelerator": "a100"}
    toleration = {"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}
    r = Resources(node_selector=selector, tolerations=[toleration])
    selector["accelerator"] = "changed"
    toleration["key"] = "changed"
    assert r.node_selector == {"accelerator": "a100"}
    assert r.tolerations == ({"key": "gpu", "operator": "Exists", "effect": "NoSchedule"},)


def test_resources_are_frozen_and_compare_by_value():
    assert Resources(cpu=1, memory="1Gi") == Resources(cpu="1", memory="1Gi")
    with pytest.raises(dataclasses.FrozenInstanceError):
        Resources().gpu = 1  # type: ignore[misc]


@pytest.mark.parametrize("name", ["epochs", "Learning_rate", "a-b-2"])
def test_runtime_parameter_names(name):
    assert RuntimeParameter(name=name, ptype=int, default=1).name == name


@pytest.mark.parametrize("name", ["", "1epochs", "_x", "a.b", "a b", "ü"])
def test_runtime_parameter_name_must_be_an_argo_parameter_name(name):
    with pytest.raises(
        DefinitionError,
        match=rf"RuntimeParameter name {name!r} must start with a letter",
    ):
        RuntimeParameter(name=name, ptype=int, default=1)
