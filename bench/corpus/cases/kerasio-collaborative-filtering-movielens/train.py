"""Own re-write from the facts in meta.json (keras.io example: collaborative filtering on MovieLens).

Matrix factorisation: 50-d user and movie embeddings (he_normal, L2 1e-6) whose dot product plus a
user bias and a movie bias goes through a sigmoid; binary crossentropy against ratings min-max scaled
to [0, 1], Adam 1e-3, batch 64, 5 epochs. Written as a functional model (the page subclasses
keras.Model and splits one (user, movie) input) so that the same layers serialise.
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

NUM_USERS = 610
NUM_MOVIES = 9724
EMBEDDING_SIZE = 50


def build_model():
    user = keras.Input(shape=(), dtype="int32", name="user")
    movie = keras.Input(shape=(), dtype="int32", name="movie")
    reg = keras.regularizers.l2(1e-6)
    user_vec = layers.Embedding(NUM_USERS, EMBEDDING_SIZE, embeddings_initializer="he_normal",
                                embeddings_regularizer=reg, name="user_embedding")(user)
    user_bias = layers.Embedding(NUM_USERS, 1, name="user_bias")(user)
    movie_vec = layers.Embedding(NUM_MOVIES, EMBEDDING_SIZE, embeddings_initializer="he_normal",
                                 embeddings_regularizer=reg, name="movie_embedding")(movie)
    movie_bias = layers.Embedding(NUM_MOVIES, 1, name="movie_bias")(movie)
    dot = layers.Dot(axes=1)([user_vec, movie_vec])
    score = layers.Add()([dot, user_bias, movie_bias])
    out = layers.Activation("sigmoid")(score)
    model = keras.Model([user, movie], out)
    model.compile(loss=keras.losses.BinaryCrossentropy(),
                  optimizer=keras.optimizers.Adam(learning_rate=0.001))
    return model


if __name__ == "__main__":
    data = np.load("data.npz")  # (user index, movie index) pairs, ratings scaled to [0, 1], shuffled
    model = build_model()
    model.fit([data["x_train"][:, 0], data["x_train"][:, 1]], data["y_train"], batch_size=64, epochs=5, verbose=1,
              validation_data=([data["x_val"][:, 0], data["x_val"][:, 1]], data["y_val"]))
