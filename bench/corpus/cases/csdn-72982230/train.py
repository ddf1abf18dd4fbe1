"""Own re-write from the facts in meta.json (CSDN sinat_26917383 article 72982230, mode one).

Frozen InceptionV3 base, new global-average-pool + Dense(1024, relu) + Dense(5, softmax) head,
rmsprop + categorical crossentropy. weights=None here so that building the model needs no
download; the post loads the ImageNet weights.
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

N_CLASSES = 5
FC_SIZE = 1024


def build_model():
    base = keras.applications.InceptionV3(weights=None, include_top=False,
                                          input_shape=(299, 299, 3))
    for layer in base.layers:
        layer.trainable = False
    x = layers.GlobalAveragePooling2D()(base.output)
    x = layers.Dense(FC_SIZE, activation="relu")(x)
    out = layers.Dense(N_CLASSES, activation="softmax")(x)
    model = keras.Model(base.input, out)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=16, epochs=3,
              validation_data=(data["x_val"], data["y_val"]))
