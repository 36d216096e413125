"""Bounds on what one playground request may ask for.

The playground trains on the server, so every size a page can choose is bounded here,
in one place; the settings parser, the job runner and the HTTP layer read these names
and the tests check each one.
"""

from __future__ import annotations

MAX_SAMPLES = 2000  # rows of a generated data set (n)
MAX_FEATURES = 16  # columns of the data (the built-in playground sets have at most 4)
MAX_HIDDEN_LAYERS = 4  # hidden layers of an MLP
MAX_HIDDEN_UNITS = 64  # units in one hidden layer
MAX_EPOCHS = 5000  # epochs of one run (Ng's lesson runs 2000 full-batch iterations)
MAX_STEPS_PER_SECOND = 2000  # updates a playing job makes per second, at most
MIN_STEPS_PER_SECOND = 1
MAX_BODY_BYTES = 16 * 1024  # an HTTP request body or one WebSocket message
MAX_QUERY_BYTES = 4 * 1024  # the query string of a GET request
MAX_JOBS = 8  # training jobs (open pages) served at once
MAX_NOISE = 5.0  # the noise slider's upper end
MAX_LR = 100.0  # learning rates above this only diverge
MAX_ABS_START = 1e6  # |w| and |b| of a chosen start point
MAX_SEED = 2**31 - 1

FRAMES_PER_SECOND = 20  # how often a playing job sends what it did to the page
SURFACE_GRID = 81  # loss-surface resolution per axis (81 x 81 exact losses)
BOUNDARY_GRID = 64  # decision-boundary resolution per axis
CURVE_POINTS = 121  # points of a fitted 1-D line
MAX_PATH_POINTS = 100_000  # path points a page receives; beyond, the path stops growing
