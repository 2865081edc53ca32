"""The shared training recipe: a budget in steps, a cosine schedule over it."""

from __future__ import annotations

import numpy as np
import pytest


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def training(keras):
    from course_utils import training

    return training


def test_cosine_learning_rate_runs_from_peak_to_final_fraction(training):
    assert training.cosine_learning_rate(0.0, 1e-3) == pytest.approx(1e-3)
    assert training.cosine_learning_rate(0.5, 1e-3, 0.0) == pytest.approx(5e-4)
    assert training.cosine_learning_rate(1.0, 1e-3, 0.1) == pytest.approx(1e-4)
    assert training.cosine_learning_rate(7.0, 1e-3, 0.1) == pytest.approx(1e-4)


def test_the_budget_times_training_without_validation_and_stops_at_its_steps(training, keras):
    clock = FakeClock()
    cb = training.TrainingBudget(max_steps=3, peak_learning_rate=1.0, clock=clock)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1.0), loss="mse")
    cb.set_model(model)
    cb.on_train_begin()
    cb.on_train_batch_begin(0)
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(1.0)  # the peak
    clock.now = 30.0
    cb.on_train_batch_end(0)
    assert not model.stop_training and cb.progress() == pytest.approx(1 / 3)
    cb.on_test_begin()
    clock.now = 500.0  # a long validation does not count
    cb.on_test_end()
    cb.on_epoch_end(0)
    assert cb.epoch_minutes == [pytest.approx(0.5)]
    cb.on_train_batch_begin(1)
    rate = training.cosine_learning_rate(1 / 3, 1.0)
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(rate)
    clock.now = 529.0
    cb.on_train_batch_end(1)
    assert not model.stop_training
    clock.now = 531.0
    cb.on_train_batch_end(2)
    assert model.stop_training and cb.steps == 3
    cb.on_train_end()
    assert cb.seconds == pytest.approx(61.0)


def test_step_budget_and_bad_budgets(training):
    cb = training.TrainingBudget(max_steps=4, peak_learning_rate=1.0)
    cb.steps = 3
    assert cb.progress() == pytest.approx(0.75)
    with pytest.raises(ValueError, match="at least 1"):
        training.TrainingBudget(0, 1.0)
    with pytest.raises(ValueError, match="Unknown profile"):
        training.budget("laptop", "unet")
    with pytest.raises(ValueError, match="No training budget for model 'resnet'"):
        training.budget("default", "resnet")
    for unknown in ("resnet_lite0", "_lite0", "segnet_lite0"):  # SegNet needs pooling indices
        with pytest.raises(ValueError, match=f"No training budget for model '{unknown}'"):
            training.budget("default", unknown)


def test_the_imagenet_models_have_their_own_family_and_class_weighting(training):
    assert training.uses_imagenet("unet_lite0") and not training.uses_imagenet("unet")
    assert training.class_balancing("deeplabv3plus_lite0") == training.IMAGENET_CLASS_BALANCING
    assert training.class_balancing("deeplabv3plus") == training.PART3_CLASS_BALANCING
    assert training.IMAGENET_CLASS_BALANCING != training.PART3_CLASS_BALANCING
    assert training.WarmStart([], "", imagenet=True).kind == "imagenet"
    assert training.WarmStart(["conv1"], "").kind == "cifar10"
    assert training.WarmStart([], "").kind == "scratch"


def test_default_budgets_are_the_calibration_steps_of_each_family(training, monkeypatch):
    monkeypatch.delenv(training.BUDGET_SCALE_ENV_VAR, raising=False)
    calibrated = training.CALIBRATION["steps"]
    for model, family in [
        ("encoder_decoder", "encoder_decoder"), ("fcn8s", "fcn"), ("fcn32s", "fcn"),
        ("segnet", "segnet"), ("segnet_nearest", "segnet"), ("unet", "unet"),
        ("unet_noskip", "unet"), ("deeplabv3plus", "deeplabv3plus"),
        ("fcn8s_lite0", "fcn_lite0"), ("fcn32s_lite0", "fcn_lite0"),
        ("unet_lite0", "unet_lite0"), ("deeplabv3plus_lite0", "deeplabv3plus_lite0"),
        ("deeplabv3plus_scratch", "deeplabv3plus"),
    ]:  # fmt: skip
        b = training.budget("default", model)
        assert (b.model, b.steps, b.epochs, b.scale) == (family, calibrated[family], None, 1.0)
        assert "scaled" not in b.describe()
    assert training.budget("quick", "unet").steps < min(calibrated.values())
    full = training.budget("full", "segnet")
    assert full.steps is None and full.epochs >= 50
    fcn = training.budget("default", "fcn8s")
    stages = [fcn.share(f).steps for f in (0.4, 0.2, 0.4)]
    assert sum(stages) == fcn.steps and all(s >= 1 for s in stages)


def test_a_scaled_budget_says_its_numbers_differ(training, monkeypatch):
    monkeypatch.setenv(training.BUDGET_SCALE_ENV_VAR, "0.5")
    b = training.budget("default", "unet")
    assert b.steps == round(training.CALIBRATION["steps"]["unet"] * 0.5) and b.scale == 0.5
    assert "differ from the committed ones" in b.describe()
    assert training.budget("full", "unet").epochs == 60
    for bad in ("0", "-1", "fast", "nan"):
        monkeypatch.setenv(training.BUDGET_SCALE_ENV_VAR, bad)
        with pytest.raises(ValueError, match="positive number"):
            training.budget("default", "unet")


def test_fit_segmentation_trains_for_its_budget_and_reports(training, models, keras):
    rng = np.random.default_rng(0)
    images = rng.random((16, 32, 32, 3), dtype=np.float32)
    masks = (images[..., 0] > 0.5).astype(np.int32)
    masks[:, :2] = 2  # a void border
    import tensorflow as tf

    train = tf.data.Dataset.from_tensor_slices((images, masks)).batch(4)
    net = models.build("unet", (32, 32, 3), 2, preset="tiny")
    result = training.fit_segmentation(
        net, train, train, num_classes=2, ignore_index=2, epochs=2, learning_rate=1e-2, verbose=0
    )
    assert result.epochs == 2 and result.steps == 8 and result.seconds > 0
    assert len(result.history["minutes"]) == 2 == len(result.history["val_miou"])
    assert result.history["minutes"][1] > result.history["minutes"][0]
    # the schedule spans the budget: the last of the 8 steps ran at progress 7/8 of its cosine
    last = float(net.optimizer.learning_rate.numpy())
    assert last == pytest.approx(training.cosine_learning_rate(7 / 8, 1e-2), rel=1e-5)
    assert 0 <= result.report.miou <= 1 and result.report.pixel_share.sum() == pytest.approx(1)
    # one matrix per validation image, summing to the report's, which metrics.evaluate agrees with
    from course_utils import metrics

    assert result.val_confusions.shape == (16, 2, 2)
    whole = metrics.confusion_matrix(
        masks, np.asarray(net.predict(images, verbose=0)).argmax(-1), 2, 2
    )
    np.testing.assert_array_equal(result.val_confusions.sum(0), whole)
    assert result.report.miou == pytest.approx(metrics.evaluate(net, train, 2, ignore_index=2).miou)
    scores = result.as_scores()
    assert scores["steps"] == 8 and scores["budget"]["epochs"] == 2
    with pytest.raises(ValueError, match="one budget"):
        training.fit_segmentation(net, train, train, num_classes=2)
    with pytest.raises(ValueError, match="one budget"):
        training.fit_segmentation(net, train, train, num_classes=2, steps=3, epochs=1)


def test_a_step_budget_stops_inside_an_epoch(training, models, keras):
    import tensorflow as tf

    rng = np.random.default_rng(1)
    images = rng.random((16, 32, 32, 3), dtype=np.float32)
    masks = (images[..., 1] > 0.5).astype(np.int32)
    train = tf.data.Dataset.from_tensor_slices((images, masks)).batch(4)  # 4 steps an epoch
    net = models.build("encoder_decoder", (32, 32, 3), 2, preset="tiny")
    result = training.fit_segmentation(
        net, train, train, num_classes=2, steps=6, verbose=0, validate_each_epoch=False
    )
    assert (result.steps, result.epochs) == (6, 2)
    assert "val_loss" not in result.history  # scored once, at the end
    assert result.val_confusions.sum() == 16 * 32 * 32
    assert result.as_scores()["budget"]["steps"] == 6


def test_the_progress_line_of_a_cut_epoch_counts_the_steps_taken(training, models, keras, capsys):
    import tensorflow as tf

    rng = np.random.default_rng(1)
    images = rng.random((16, 32, 32, 3), dtype=np.float32)
    masks = (images[..., 1] > 0.5).astype(np.int32)
    train = tf.data.Dataset.from_tensor_slices((images, masks)).batch(4)  # 4 steps an epoch
    net = models.build("encoder_decoder", (32, 32, 3), 2, preset="tiny")
    training.fit_segmentation(
        net, train, train, num_classes=2, steps=6, verbose=2, validate_each_epoch=False
    )
    lines = [line for line in capsys.readouterr().out.splitlines() if " - " in line]
    assert [line.split(" - ")[0].strip() for line in lines[:2]] == ["4/4", "2/2"], lines


def test_a_run_without_recompiling_is_the_run_a_fresh_compile_gives(training, models, keras):
    import tensorflow as tf

    rng = np.random.default_rng(2)
    images = rng.random((16, 32, 32, 3), dtype=np.float32)
    masks = (images[..., 2] > 0.5).astype(np.int32)
    data = tf.data.Dataset.from_tensor_slices((images, masks)).batch(4)
    start = models.build("encoder_decoder", (32, 32, 3), 2, preset="tiny").get_weights()
    args = dict(num_classes=2, steps=5, learning_rate=1e-2, verbose=0, validate_each_epoch=False)

    def fresh_run():
        net = models.build("encoder_decoder", (32, 32, 3), 2, preset="tiny")
        net.set_weights(start)
        return net, training.fit_segmentation(net, data, data, **args)

    expected, expected_fit = fresh_run()
    reused, _ = fresh_run()  # a first run: the model is compiled and its optimizer has moved
    assert int(reused.optimizer.iterations.numpy()) == 5
    reused.set_weights(start)
    again = training.fit_segmentation(reused, data, data, recompile=False, **args)
    for a, b in zip(expected.get_weights(), reused.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(again.val_confusions, expected_fit.val_confusions)
    assert int(reused.optimizer.iterations.numpy()) == 5 and again.steps == 5
    # a constant learning rate survives a restart; the step count and the moments do not
    small = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    small.compile(optimizer=keras.optimizers.Adam(0.25), loss="mse")
    small.fit(rng.random((8, 3)), rng.random((8, 1)), epochs=1, verbose=0)
    training.restart_optimizer(small)
    kept = {v.name: float(np.abs(np.asarray(v)).sum()) for v in small.optimizer.variables}
    assert kept.pop("learning_rate") == 0.25 and not any(kept.values()), kept
    # another run from the same start gives other weights: the equality above is not vacuous
    reused.set_weights(start)
    reused.fit(data, epochs=1, verbose=0, shuffle=False)  # Keras alone: carries on from step 5
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(expected.get_weights(), reused.get_weights(), strict=True)
    )


def test_concat_histories_continues_the_clock(training):
    a = {"loss": [1.0, 0.8], "minutes": [0.5, 1.0], "only_a": [1, 2]}
    b = {"loss": [0.7], "minutes": [0.4]}
    joined = training.concat_histories([a, b])
    assert joined == {"loss": [1.0, 0.8, 0.7], "minutes": [0.5, 1.0, 1.4]}
    assert training.concat_histories([]) == {}


def test_part3_loss_weights_camvid_classes_by_median_frequency(training, use_mirror):
    from course_utils import data, metrics

    weights = training.part3_class_weights((48, 64))
    camvid = data.info("camvid")
    assert len(weights) == camvid.num_classes and all(w > 0 for w in weights)
    names = camvid.class_names
    assert weights[names.index("Pole")] > 1 > weights[names.index("Road")]
    masks = data.arrays("camvid", "train", image_size=(48, 64)).targets
    expected = metrics.class_weights(masks, camvid.num_classes, camvid.ignore_index)
    np.testing.assert_allclose(weights, expected, rtol=1e-6)

    # The loss is the weight-averaged cross-entropy of the labelled pixels; void costs nothing.
    loss = training.part3_loss(weights, camvid.ignore_index)
    pole, road, void = names.index("Pole"), names.index("Road"), camvid.ignore_index
    logits = np.zeros((1, 1, 3, camvid.num_classes), "float32")
    logits[0, 0, 0, pole] = 4.0  # the Pole pixel is nearly right
    logits[0, 0, 1:, names.index("Sky")] = 4.0  # the Road pixel (and the void one) say Sky
    ce = np.log(np.exp(4.0) + camvid.num_classes - 1) - np.array([4.0, 0.0])  # right, wrong
    w = np.array([weights[pole], weights[road]])
    got = float(loss(np.array([[[pole, road, void]]]), logits))
    assert got == pytest.approx(float((w * ce).sum() / w.sum()), rel=1e-4)
    assert got < ce.mean()  # the rare, right pixel counts more than the common, wrong one


def test_restart_optimizer_keeps_a_loss_scale_optimizer_training(training, keras):
    """Under mixed_float16 the optimizer is a LossScaleOptimizer: a restart must put its
    scale back to the initial one (a zero scale skips every later step) and train on."""
    rng = np.random.default_rng(3)
    x, y = rng.random((8, 3)).astype("float32"), rng.random((8, 1)).astype("float32")
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, dtype="float32")])
        model.compile(optimizer=keras.optimizers.Adam(0.1), loss="mse")
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        model.fit(x, y, epochs=2, verbose=0)
        training.restart_optimizer(model)
        optimizer = model.optimizer
        assert float(optimizer.dynamic_scale.numpy()) == optimizer.initial_scale
        assert int(optimizer.step_counter.numpy()) == 0
        assert int(optimizer.iterations.numpy()) == 0
        before = [np.array(w) for w in model.get_weights()]
        model.fit(x, y, epochs=1, verbose=0)
        after = model.get_weights()
        assert all(np.isfinite(w).all() for w in after), after  # a zero scale divides by 0
        assert all(not np.array_equal(a, b) for a, b in zip(before, after, strict=True)), (
            "no weight moved after restart_optimizer: every step was skipped"
        )
        assert int(optimizer.iterations.numpy()) == 1
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.slow
def test_gradient_norms_grow_towards_the_input_of_a_deep_plain_network(training):
    """Notebook 03's picture: with batch norm, a plain 32-layer network's first convolution
    gets tens of times the gradient of its last; its residual twin far less."""
    import keras

    from course_utils import models

    rng = np.random.default_rng(0)
    x, y = rng.random((32, 32, 32, 3), dtype=np.float32), rng.integers(0, 10, 32)
    ratios = {}
    for residual in (False, True):
        keras.utils.set_random_seed(0)
        net = models.resnet(
            (32, 32, 3), 10, blocks=(5, 5, 5), width=0.25, stem="small", residual=residual
        )
        norms = training.gradient_norms(net, x, y)
        convolutions = [
            layer.name for layer in net.layers if isinstance(layer, keras.layers.Conv2D)
        ]
        assert [name for name, _ in norms] == convolutions
        assert all(np.isfinite(g) and g > 0 for _, g in norms)
        ratios[residual] = norms[0][1] / norms[-1][1]
    assert ratios[False] > 30 and ratios[True] < ratios[False] / 3, ratios


@pytest.mark.slow  # trains two steps
def test_a_scratch_name_trains_the_same_model_from_random_weights(training, use_mirror):
    from course_utils import data

    camvid = data.info("camvid")
    train = data.load("camvid", "train", image_size=(64, 96), batch_size=2, limit=4)
    val = data.load("camvid", "val", image_size=(64, 96), batch_size=2, limit=2)
    run = training.train_part3(
        "deeplabv3plus_scratch", train, val, profile="quick", preset="tiny",
        input_shape=(64, 96, 3), num_classes=camvid.num_classes,
        ignore_index=camvid.ignore_index, verbose=0,
    )  # fmt: skip
    assert run.start.kind == "scratch" and run.model.name == "deeplabv3plus_scratch"
    assert run.budget.model == "deeplabv3plus" and run.class_balancing == "median_frequency"
    assert run.as_scores()["start"] == "scratch"


@pytest.mark.slow  # trains three stages of a step or so each
def test_the_skip_control_trains_fcn32s_through_fcn8s_stages(training, use_mirror):
    """``fcn8s_noskip``, notebook 07's control in the seed record: the budget, stages and
    start of FCN-8s, and never a skip."""
    from course_utils import data, models

    camvid = data.info("camvid")
    train = data.load("camvid", "train", image_size=(64, 96), batch_size=2, limit=4)
    val = data.load("camvid", "val", image_size=(64, 96), batch_size=2, limit=2)
    control = training.train_part3(
        training.FCN_SKIP_CONTROL, train, val, profile="quick", preset="tiny",
        input_shape=(64, 96, 3), num_classes=camvid.num_classes,
        ignore_index=camvid.ignore_index, verbose=0,
    )  # fmt: skip
    plan = training.budget("quick", "fcn8s")
    assert control.budget == plan
    assert {name: fit.steps for name, fit in control.stages.items()} == {
        name: plan.share(share).steps for name, share in training.FCN_STAGES
    }
    assert control.start.kind == "cifar10" or control.start.missing, control.start
    layers = {layer.name for layer in control.model.layers}
    assert control.model.name == "fcn32s" and not any("score_pool" in n for n in layers)
    fcn8s = models.build("fcn8s", (64, 96, 3), camvid.num_classes, preset="tiny")
    assert {"score_pool4", "score_pool3"} <= {layer.name for layer in fcn8s.layers}, "not vacuous"


def test_traced_steps_trains_a_later_draw_as_a_fresh_compile_would(training, keras):
    """``TracedSteps``: the first draw of an architecture is compiled; a later draw is
    trained by that network, and ends with the weights a fresh compile of it gives."""
    rng = np.random.default_rng(3)
    x, y = rng.random((16, 3), dtype=np.float32), rng.random((16, 1), dtype=np.float32)

    def build(seed: int):
        keras.utils.set_random_seed(seed)
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)], name="tiny")

    def compile_model(net):
        schedule = keras.optimizers.schedules.CosineDecay(0.1, 6)
        net.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse")
        return net

    steps = training.TracedSteps(compile_model)
    first = steps.network(build(0))
    first.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    second = steps.network(build(1))
    assert second is first and int(second.optimizer.iterations.numpy()) == 0
    second.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    fresh = compile_model(build(1))
    fresh.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    for a, b in zip(fresh.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    other = steps.network(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="wide"))
    assert other is not first, "another architecture gets its own traced network"
