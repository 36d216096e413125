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
``animate_paths``              the optimizer paths growing step by step (GIF)
``sigmoid_plot``               σ(z) and its slope σ'(z) = σ(z)(1 − σ(z))
``graph_figure``               a computational graph with forward values and gradients
=============================  ===============================================

Each takes ``lang="en"`` or ``"zh"`` for its titles, axes and legends; the figures
display as PNG images in Jupyter.
"""

from .animate import animate_paths
from .boundary import confusion_matrix_plot, decision_boundary, pca_plane
from .common import GdlabFigure, figure_title, new_figure, pixel_size, png_bytes, save_figure
from .curves import final_loss_table, loss_curve, lr_sweep
from .fit import fit_plot, regression_scores
from .graph import graph_figure
from .shapes import sigmoid_plot
from .slice import loss_slice, slice_directions, slice_grid
from .surface import (
    angle_to_optimum,
    loss_at,
    loss_surface_2param,
    optimum_2param,
    surface_gradient,
    surface_grid,
)

__all__ = [
    "GdlabFigure",
    "angle_to_optimum",
    "animate_paths",
    "confusion_matrix_plot",
    "decision_boundary",
    "figure_title",
    "final_loss_table",
    "fit_plot",
    "graph_figure",
    "loss_at",
    "loss_curve",
    "loss_slice",
    "loss_surface_2param",
    "lr_sweep",
    "new_figure",
    "optimum_2param",
    "pca_plane",
    "pixel_size",
    "png_bytes",
    "regression_scores",
    "save_figure",
    "sigmoid_plot",
    "slice_directions",
    "slice_grid",
    "surface_gradient",
    "surface_grid",
]
