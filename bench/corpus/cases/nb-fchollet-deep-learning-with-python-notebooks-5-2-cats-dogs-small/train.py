"""Own re-write from the facts in meta.json (DLwP 1st ed. notebook 5.2, cats vs dogs, no augmentation)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(150, 150, 3)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(128, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(128, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(512, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-4),
                  loss="binary_crossentropy", metrics=["acc"])
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # 2000 training / 1000 validation images, /255, 0/1 labels
    model = build_model()
    model.fit(data["x_train"], data["y_train"], batch_size=20, epochs=30, shuffle=True,
              validation_data=(data["x_val"], data["y_val"]))
