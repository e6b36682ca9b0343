"""The 3D scene of a network, prepared without OpenGL (三维场景): burial depths with GB 50028's minimum cover where
missing, pipe crossings and their vertical clearance, level-of-detail thinning, CPU picking and contour bands draped on
the ground. ``console.ui.view3d`` draws what this package prepares; everything here is tested without a display.
"""

from console.scene._bands import band_index
from console.scene._crossings import Crossings, crossing_points, find_crossings, network_crossings
from console.scene._depth import (
    MIN_COVER_M,
    MIN_VERTICAL_CLEARANCE_M,
    SETTING_MAINS,
    SETTING_SERVICES,
    main_pipes,
    outer_diameter_m,
    pipe_depths,
    service_lines,
)
from console.scene._geometry import Ground, NetworkScene, build_ground, build_scene
from console.scene._lod import thin_pipes
from console.scene._pick import SegmentPicker

__all__ = [
    "MIN_COVER_M",
    "MIN_VERTICAL_CLEARANCE_M",
    "SETTING_MAINS",
    "SETTING_SERVICES",
    "Crossings",
    "Ground",
    "NetworkScene",
    "SegmentPicker",
    "band_index",
    "build_ground",
    "build_scene",
    "crossing_points",
    "find_crossings",
    "main_pipes",
    "network_crossings",
    "outer_diameter_m",
    "pipe_depths",
    "service_lines",
    "thin_pipes",
]
