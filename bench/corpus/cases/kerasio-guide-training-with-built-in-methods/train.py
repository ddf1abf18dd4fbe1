"""Own re-write from the facts in meta.json (keras.io guide: training & evaluation with the built-in methods)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    inputs = keras.Input(shape=(784,))
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # MNIST flattened to 784, x/255, last 10000 training images held out
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=64, epochs=2,
              validation_data=(data["x_val"], data["y_val"]))
