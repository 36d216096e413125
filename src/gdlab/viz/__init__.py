"""Figures built only from plain data: a history, a path of parameters, a model and data.

Every builder returns a ``matplotlib.figure.Figure`` (object API, Agg canvas; no pyplot,
no display needed); :func:`save_figure` writes it as a PNG atomically.

=============================  ===============================================
``loss_curve``                 train / validation loss (and accuracy) per epoch
``lr_sweep``                   one loss curve per learning rate + final losses
``loss_surface_2param``        exact loss contours over (w, b) + optimizer paths
``loss_slice``                 2-D slice through the final parameters of any model
``fit_plot``                   data and fitted line; predicted vs true; residuals
``decision_boundary``          predicted probability over the plane + data
``confusion_matrix_plot``      counts of (true, predicted) class
=============================  ===============================================
"""

from .boundary import confusion_matrix_plot, decision_boundary, pca_plane
from .common import figure_title, pixel_size, png_bytes, save_figure
from .curves import final_loss_table, loss_curve, lr_sweep
from .fit import fit_plot, regression_scores
from .surface import (
    loss_at,
    loss_slice,
    loss_surface_2param,
    optimum_2param,
    slice_directions,
    slice_grid,
    surface_gradient,
    surface_grid,
)

__all__ = [
    "confusion_matrix_plot",
    "decision_boundary",
    "figure_title",
    "final_loss_table",
    "fit_plot",
    "loss_at",
    "loss_curve",
    "loss_slice",
    "loss_surface_2param",
    "lr_sweep",
    "optimum_2param",
    "pca_plane",
    "pixel_size",
    "png_bytes",
    "regression_scores",
    "save_figure",
    "slice_directions",
    "slice_grid",
    "surface_gradient",
    "surface_grid",
]
