"""Own re-write from the facts in meta.json (datascience.stackexchange.com/questions/53891)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

N_FEATURES = 64


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(N_FEATURES,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")
    model = build_model()
    model.fit(data["x_train"], data["y_train"], shuffle=True, epochs=1000, batch_size=200,
              validation_split=0.2, verbose=2)
