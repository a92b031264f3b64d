"""The aurorax web dashboard (Panel). Only this package imports Panel, HoloViews and Bokeh."""
