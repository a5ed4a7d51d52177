"""The accessibility script of the explorers (``nnlesson.viz.widgets.A11Y_JS``) in Chromium, on
the markup ipywidgets 8 gives a slider, a plot and a status line (without JupyterLab: the lab
tests check the same in a running lesson)."""
import pytest

from nnlesson.viz.widgets import A11Y_JS


@pytest.mark.browser
def test_the_accessibility_script_works_in_a_browser(page):
    """A11Y_JS in Chromium, on the markup ipywidgets 8 gives a slider, a plot and a status line:
    the handle gets its name and the readout as its value text, the plot its alt text, and a
    new readout (the student pressed ArrowRight) is announced too."""
    markup = """
      <div class="nnlesson-explorer">
        <div class="widget-slider widget-hslider">
          <label class="widget-label">learning rate</label>
          <div class="noUi-handle" role="slider" aria-valuenow="3" aria-valuetext="3"></div>
          <div class="widget-readout">0.06</div>
        </div>
        <div class="nnlesson-status"></div>
        <img class="nnlesson-plot">
        <div class="nnlesson-plot-alt">Left: two paths. Settings: learning rate = 0.06.</div>
      </div>
      <div class="widget-slider"><label class="widget-label">not ours</label>
        <div class="noUi-handle" role="slider"></div><div class="widget-readout">1</div></div>"""
    page.set_content(f"<html><body>{markup}</body></html>")
    page.add_script_tag(content=A11Y_JS)
    handle = page.locator(".nnlesson-explorer .noUi-handle")
    assert handle.get_attribute("aria-label") == "learning rate"
    assert handle.get_attribute("aria-valuetext") == "0.06"
    img = page.locator("img.nnlesson-plot")
    assert img.get_attribute("alt").startswith("Left: two paths.")
    # read once, as the image's alt, not twice
    assert page.locator(".nnlesson-plot-alt").get_attribute("aria-hidden") == "true"
    status = page.locator(".nnlesson-status")
    assert (status.get_attribute("role"), status.get_attribute("aria-live")) == (
        "status", "polite")
    # the student moves the slider: the readout changes, the handle announces the new value
    page.evaluate("""() => {
        document.querySelector('.nnlesson-explorer .widget-readout').textContent = '0.3';
        document.querySelector('.nnlesson-explorer .noUi-handle')
            .setAttribute('aria-valuetext', '4');
        document.querySelector('.nnlesson-plot-alt').textContent = 'new plot';
    }""")
    page.wait_for_function("""() => document.querySelector('.nnlesson-explorer .noUi-handle')
        .getAttribute('aria-valuetext') === '0.3'""", timeout=5000)
    page.wait_for_function("""() => document.querySelector('img.nnlesson-plot')
        .getAttribute('alt') === 'new plot'""", timeout=5000)
    page.add_script_tag(content=A11Y_JS)  # displayed again by the next explorer: harmless
    assert page.locator(".noUi-handle").nth(1).get_attribute("aria-label") is None
