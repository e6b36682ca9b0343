"""The identify panel follows the map: "Also here" lists the features drawn where the identified one is, and
choosing one identifies it instead (co-located valve, sensor and junction: pick the one you mean)."""

from __future__ import annotations

import shapely

from console.ui.docks._picking import features_at

__all__ = ["follow_identify"]


def follow_identify(window) -> None:
    """Connect ``window``'s canvas and identify panel (call once, after the window's own connections)."""
    canvas, dock = window.canvas, window.attributes_dock

    def on_identified(hit) -> None:
        network = canvas.network
        if hit is None or network is None or dock.feature_id != hit.feature_id:
            return
        geom = network[hit.layer].geometry.array[hit.row]
        if geom is None or shapely.get_type_id(geom) != 0:
            dock.set_also_here([])  # a line: what lies along it is not "here"
            return
        hits = features_at(canvas, geom.x, geom.y)
        if not any(h.feature_id == hit.feature_id for h in hits):
            hits = [hit, *hits]
        dock.set_also_here(hits)

    def on_chosen(hit) -> None:
        canvas.select(hit)
        canvas.featureIdentified.emit(hit)

    canvas.featureIdentified.connect(on_identified)
    dock.featureChosen.connect(on_chosen)
