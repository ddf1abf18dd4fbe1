"""Own re-write from the facts in meta.json (keras.io guide: writing a training loop from scratch in
TensorFlow).

MNIST digits flattened to 784 values and NOT scaled (raw 0-255, hence the first batch losses near
90-95): Dense(64, relu), Dense(64, relu), Dense(10) logits; sparse categorical crossentropy from
logits, Adam 1e-3, batches of 32 from a shuffled (buffer 1024) set of 50,000, 10,000 held out.
The guide trains with a GradientTape loop; fit() below is the same schedule.
This run: second loop of the guide, on a fresh model: training and validation accuracy per epoch, 2 epochs.
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    inp = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu")(inp)
    x = layers.Dense(64, activation="relu")(x)
    out = layers.Dense(10, name="predictions")(x)
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # x reshaped to (N, 784), raw pixel values
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=32, epochs=2, shuffle=True,
              validation_data=(data["x_val"], data["y_val"]),
              verbose=1)
