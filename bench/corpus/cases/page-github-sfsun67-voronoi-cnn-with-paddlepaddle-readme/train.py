"""Own re-write (tf.keras) from the facts in meta.json (sfsun67/Voronoi_CNN_with_PaddlePaddle README).

Voronoi-tessellation CNN for field reconstruction: seven 7x7 Conv2D(48, relu, same) layers and a
3x3 Conv2D(1) output, mean squared error, Adam(lr=0.001, epsilon=1e-7), batch 256, up to 5000
epochs with early stopping on val_loss (patience 100). An accuracy metric is tracked as in the
run, although the targets are continuous.
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

IN_CHANNELS = 2  # Voronoi image + sensor mask, as in the README's example network


def build_model():
    inp = keras.Input(shape=(None, None, IN_CHANNELS))
    x = inp
    for _ in range(7):
        x = layers.Conv2D(48, (7, 7), padding="same", activation="relu")(x)
    out = layers.Conv2D(1, (3, 3), padding="same")(x)
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001, epsilon=1e-7),
                  loss="mse", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")
    model = build_model()
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", mode="min", patience=100,
                                         min_delta=0, restore_best_weights=True, verbose=1)
    model.fit(data["x_train"], data["y_train"], batch_size=256, epochs=5000,
              validation_data=(data["x_val"], data["y_val"]), callbacks=[stop])
