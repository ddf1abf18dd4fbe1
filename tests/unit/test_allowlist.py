"""The allowlist refuses configs that would run code, and passes Keras' own objects."""

import pytest

from app.patches.allowlist import check_config


def _layer(class_name, module="keras.layers", **config):
    return {"module": module, "class_name": class_name, "config": {"name": "x", **config},
            "registered_name": None}


def _model(*layers):
    return {"module": "keras", "class_name": "Sequential", "config": {"name": "m", "layers": list(layers)}}


def test_plain_keras_model_passes():
    model = _model(_layer("InputLayer", batch_shape=[None, 4]),
                   _layer("Dense", units=3, activation="softmax",
                          kernel_initializer={"module": "keras.initializers", "class_name": "GlorotUniform",
                                              "config": {"seed": None}, "registered_name": None}))
    assert check_config(model) == []


@pytest.mark.parametrize("bad, needle", [
    (_layer("Lambda", function={"class_name": "__lambda__", "config": {"code": "4wEAAA=="}}), "Lambda"),
    ({"module": "os", "class_name": "system", "config": "touch /tmp/pwned"}, "module 'os'"),
    ({"module": "builtins", "class_name": "eval", "config": "1"}, "built-in 'eval'"),
    (_layer("Dense", units=2, activation="keras.src.models.load_model"), "not a Keras activation"),
    ({"module": "keras.layers", "class_name": "MyLayer", "config": {}, "registered_name": "Custom>MyLayer"},
     "custom"),
    (_layer("Dense", units=1, kernel_initializer={"module": "subprocess", "class_name": "Popen",
                                                   "config": {"args": ["sh"]}}), "subprocess"),
])
def test_code_and_foreign_objects_are_refused_with_their_path(bad, needle):
    refusals = check_config(_model(bad))
    assert refusals, "must be refused"
    text = " | ".join(map(str, refusals))
    assert needle in text
    assert text.startswith("config.config.layers[0]")
