# Written for the TrainDoc corpus from the facts in meta.json (not the poster's code).
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    a = keras.Input(shape=(1, 1))
    b = keras.Input(shape=(1, 1))
    ha = layers.Dense(1, activation="sigmoid")(a)
    hb = layers.Dense(1, activation="sigmoid")(b)
    h = layers.Concatenate()([ha, hb])
    h = layers.Dense(1, activation="sigmoid")(h)
    h = layers.Dense(3, activation="sigmoid")(h)
    h = layers.Dense(5, activation="relu")(h)
    h = layers.Dense(4, activation="sigmoid")(h)
    h = layers.Dense(3, activation="sigmoid")(h)
    out = layers.Dense(1, activation="relu")(h)
    model = keras.Model(inputs=[a, b], outputs=out)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")
    model = build_model()
    model.fit([data["x1"], data["x2"]], data["y"], epochs=15, batch_size=32)
