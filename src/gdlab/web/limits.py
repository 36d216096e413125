"""Bounds on what one playground request may ask for.

The playground trains on the server, so every size a page can choose is bounded here,
in one place; the settings parser, the job runner and the HTTP layer read these names
and the tests check each one.
"""

from __future__ import annotations

MAX_SAMPLES = 2000  # rows of a generated data set (n)
MAX_FEATURES = 64  # columns of the data (Ng's stand-in: 8 x 8 digit images)
MAX_HIDDEN_LAYERS = 4  # hidden layers of an MLP
MAX_HIDDEN_UNITS = 64  # units in one hidden layer
MAX_EPOCHS = 5000  # epochs of one run (Ng's lesson runs 2000 full-batch iterations)
MAX_STEPS_PER_SECOND = 2000  # updates a playing job makes per second, at most
MIN_STEPS_PER_SECOND = 1
MAX_NOISE = 5.0  # the noise slider's upper end
MAX_LR = 100.0  # learning rates above this only diverge
MAX_PENALTY = 10.0  # the L1 and L2 strengths (λ₁, λ₂)
MAX_ABS_START = 1e6  # |w| and |b| of a chosen start point
MAX_SEED = 2**31 - 1

# --- HTTP, WebSocket and JSON ---------------------------------------------------------------
MAX_BODY_BYTES = 32 * 1024  # an HTTP request body (but an upload) or one WebSocket message
MAX_QUERY_BYTES = 4 * 1024  # the query string of a GET request
MAX_HEADER_BYTES = 16 * 1024  # a request's line and headers together
MAX_JSON_DEPTH = 32  # nesting of arrays and objects in a JSON body or message
MAX_NUMBER_CHARS = 40  # characters of one number in JSON (a float64 needs at most 24)
MAX_JOBS = 8  # training jobs (open pages) served at once
MAX_CONNECTIONS = 256  # open connections; beyond, the longest-idle ones are closed
HEADER_TIMEOUT = 10.0  # seconds for a whole request head, however it trickles in
BODY_TIMEOUT = 30.0  # seconds for a whole request body after its head
WRITE_TIMEOUT = 30.0  # seconds a client may leave a response unread (send buffer full)
KEEP_ALIVE_TIMEOUT = 5  # seconds an idle keep-alive connection stays open (uvicorn's)

# --- uploads ----------------------------------------------------------------------------------
MAX_UPLOAD_BYTES = 1_000_000  # one CSV file
MAX_UPLOAD_ROWS = 5000  # its rows (after the header)
MAX_UPLOADS = 16  # uploaded tables kept in memory (the oldest is forgotten first)

# --- what the panels draw -----------------------------------------------------------------------
FRAMES_PER_SECOND = 20  # how often a playing job sends what it did to the page
SURFACE_GRID = 81  # loss-surface resolution per axis (81 x 81 exact losses)
SLICE_GRID = 41  # resolution of a slice through a larger model, at most
SLICE_WORK = 40_000_000  # multiply-adds of one slice (grid points x rows x parameters), at most
SLICE_REFRESH_SECONDS = 0.5  # a playing run's slice is recomputed at most this often
BOUNDARY_GRID = 64  # decision-boundary resolution per axis
CURVE_POINTS = 121  # points of a fitted 1-D line (and of a one-parameter loss curve)
MAX_PATH_POINTS = 100_000  # path points a page receives; beyond, the path stops growing
TRAIL_FULL_PARAMS = 100  # models this small keep every parameter's path (any pair can be shown)
MAX_TRAIL_VALUES = 2_000_000  # parameter values such a path holds, at most
UPDATE_ROWS = 8  # the update panel lists each parameter up to this many; else a summary
UPDATE_SUMMARY_ROWS = 5  # the summary's rows: the parameters with the largest gradient
