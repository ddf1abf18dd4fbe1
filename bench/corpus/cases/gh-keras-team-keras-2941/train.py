"""Own re-write from the facts in meta.json (keras-team/keras#2941)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(6, 10)),
        layers.LSTM(256),
        layers.Dropout(0.5),
        layers.Dense(1),
        layers.Activation("sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")
    model = build_model()
    model.fit(data["x_train"], data["y_train"], epochs=10000, batch_size=30,
              validation_split=0.1)
