"""Own re-write from the facts in meta.json (keras.io example: imbalanced classification, credit card fraud)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(30,)),
        layers.Dense(256, activation="relu"),
        layers.Dense(256, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(256, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy",
                  metrics=[keras.metrics.Precision(name="precision"),
                           keras.metrics.Recall(name="recall")])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # features standardized with training mean/std
    y = data["y_train"].astype(int).ravel()
    counts = np.bincount(y)
    class_weight = {0: 1.0 / counts[0], 1: 1.0 / counts[1]}
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=2048, epochs=30, verbose=2,
              validation_data=(data["x_val"], data["y_val"]), class_weight=class_weight)
