"""Own re-write from the facts in meta.json (keras-team/keras#14490)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(10, 464)),
        layers.LSTM(10, return_sequences=True),
        layers.LSTM(10, return_sequences=True),
        layers.LSTM(10),
        layers.Dense(1),  # no activation, as in the source
    ])
    model.compile(loss=keras.losses.BinaryCrossentropy(), optimizer="adam",
                  metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")
    model = build_model()
    model.fit(data["x_train"], data["y_train"],
              validation_data=(data["x_test"], data["y_test"]),
              epochs=50, batch_size=5, verbose=1)
