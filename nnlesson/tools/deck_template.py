"""The reveal.js page of a deck: nbconvert's reveal template with the blocks the course changes.

:data:`DECK_TEMPLATE` extends nbconvert's ``reveal/index.html.j2`` and replaces:

* ``html_head_css``: the course's slide style (1280x720 slides, colours that pass WCAG AA,
  headings as written, figures sized by the fitting script);
* ``html_head_js_mathjax``: MathJax 3 from the deck's ``assets/`` folder (nbconvert's template
  loads MathJax 2 from a CDN);
* ``html_head_js_mermaidjs`` and ``jupyter_widgets``: removed (both load from a CDN; the deck
  shows each widget's stored picture instead);
* ``data_png`` and ``data_jpg``: the picture with its alt text (nbconvert drops it);
* ``footer_js``: waits for the formulas, fonts and pictures, fits every slide into the slide
  size (:data:`FIT_SCRIPT`), then starts reveal.js and exposes ``window.Reveal``.

The values the template reads are in ``resources["nnlesson"]`` (see ``slides.build_deck``).
"""

# How a slide is made to fit (runs in the browser before reveal.js lays the deck out, so the
# screen and the PDF print get the same slides). Measured at the slide's own size, zoom 1:
#
# 1. Figures (pictures in cell outputs) are made as large as the slide allows: at most the
#    content width and at most MAX_FIGURE_SCALE times their drawn size, at least their "floor",
#    the width at which the figure's smallest text is MIN_TEXT_PX tall (read from the PNG, see
#    slides.FONT_PX_KEY) or, when unknown, the size they were drawn at.
# 2. If the slide is still too tall with its figures at their floor, its text is zoomed down,
#    to MIN_ZOOM at most and never below MIN_TEXT_PX for its smallest text (figures keep their
#    on-screen size).
# 3. If that is not enough, the slide is split between cells: the cells that do not fit move to
#    a continuation slide right after it ("Heading (continued)", same speaker notes), which is
#    fitted the same way.
# 4. A single cell taller than a slide: its figures shrink below their floor (down to 40 %), and
#    if that is not enough its text is zoomed until it fits (the text then gets small: the
#    browser tests report it).
# Code or printed output wider than the slide is zoomed to the slide's width on its own.
# Slides are top-aligned (headings stay in one place from slide to slide; the title slide is
# centred). A slide whose text or pictures would reach under reveal's arrows and slide number
# (a square of CORNER pixels in the bottom-right corner) is fitted again, into the height above
# that square.
FIT_SCRIPT = r"""
function nnlessonFitSlides(options) {
  var W = options.width, H = options.height;
  var reveal = document.querySelector('.reveal');
  var slidesBox = reveal.querySelector('.slides');
  var SPARE = 4;  // px kept free at the bottom: the print layout rounds the page height down

  function leaves() {
    return Array.prototype.filter.call(slidesBox.querySelectorAll('section'),
                                       function (s) { return !s.querySelector('section'); });
  }
  function fitBox(section) {
    return section.querySelector(':scope > .nnlesson-frame > .nnlesson-fit');
  }
  function units(section) {  // what a split may move: cells and fragments, not the heading
    return Array.prototype.filter.call(fitBox(section).children, function (el) {
      return !el.classList.contains('nnlesson-continued-heading');
    });
  }
  function figures(section) {
    var found = fitBox(section).querySelectorAll('.jp-OutputArea-output img');
    return Array.prototype.slice.call(found);
  }
  function fits(section) {
    var height = section.nnlessonHeight || H;
    return section.scrollHeight <= height - SPARE && section.scrollWidth <= W;
  }

  // Does text or a picture reach under reveal's arrows and slide number (bottom right)?
  function underCorner(section) {
    var box = section.getBoundingClientRect();
    var left = box.left + W - options.corner, top = box.top + H - options.corner;
    function hits(r) { return r.width > 0 && r.right > left && r.bottom > top; }
    var walker = document.createTreeWalker(fitBox(section), NodeFilter.SHOW_TEXT);
    var range = document.createRange();
    while (walker.nextNode()) {
      if (!walker.currentNode.textContent.trim()) continue;
      range.selectNodeContents(walker.currentNode);
      if (Array.prototype.some.call(range.getClientRects(), hits)) return true;
    }
    return Array.prototype.some.call(fitBox(section).querySelectorAll('img, svg, canvas'),
                                     function (el) { return hits(el.getBoundingClientRect()); });
  }

  // Every visible part of a slide goes into frame (padding) > fit box (zoom); notes stay out.
  function wrap(section) {
    section.classList.add('nnlesson-slide');
    var frame = document.createElement('div');
    frame.className = 'nnlesson-frame';
    var box = document.createElement('div');
    box.className = 'nnlesson-fit';
    Array.prototype.slice.call(section.childNodes).forEach(function (node) {
      if (!(node.nodeType === 1 && node.matches('aside.notes'))) box.appendChild(node);
    });
    frame.appendChild(box);
    section.insertBefore(frame, section.firstChild);
  }

  // Code and printed output keep their lines (no wrapping inside a number): a block wider
  // than the slide is zoomed to the slide's width.
  function narrowWideBlocks(section) {
    fitBox(section).querySelectorAll('pre').forEach(function (pre) {
      pre.style.zoom = '';
      if (pre.scrollWidth > pre.clientWidth + 1) {
        pre.style.zoom = String(pre.clientWidth / pre.scrollWidth);
      }
    });
  }

  function figureLimits(section) {
    var found = figures(section);
    found.forEach(function (img) { img.style.width = '1px'; });
    return found.map(function (img) {
      var natural = img.naturalWidth || img.width || 1;
      var box = getComputedStyle(img.parentElement);  // the output area, without its padding
      var room = img.parentElement.clientWidth - parseFloat(box.paddingLeft)
        - parseFloat(box.paddingRight);
      var cap = Math.min(room, natural * options.maxFigureScale);
      var fontPx = parseFloat(img.getAttribute('data-nnlesson-font-px'));
      var floor = fontPx > 0 ? natural * options.minTextPx / fontPx : natural;
      img.classList.add('nnlesson-figure');
      return {img: img, floor: Math.min(floor, cap), cap: cap};
    });
  }

  // t in [0, 1] moves every figure between its floor and its cap (t < 0, a last resort, down
  // to 40 % of its floor); zoom applies to the text.
  function setLayout(section, limits, t, zoom) {
    fitBox(section).style.zoom = zoom === 1 ? '' : String(zoom);
    limits.forEach(function (f) {
      var width = t >= 0 ? f.floor + t * (f.cap - f.floor) : f.floor * (1 + 0.6 * t);
      f.img.style.width = (width / zoom) + 'px';
    });
  }

  function largest(lo, hi, ok) {  // the largest x in [lo, hi] with ok(x), given ok(lo)
    if (ok(hi)) return hi;
    for (var i = 0; i < 12; i++) {
      var mid = (lo + hi) / 2;
      if (ok(mid)) lo = mid; else hi = mid;
    }
    return lo;
  }

  // The heading a continuation slide repeats: the slide's own, or the one it continues.
  function headingText(section) {
    var own = fitBox(section).querySelector('.nnlesson-continued-heading');
    if (own) return own.getAttribute('data-heading');
    var heading = fitBox(section).querySelector('h1, h2, h3');
    return heading ? heading.textContent.replace(/\u00b6/g, '').trim() : '';
  }

  function continuation(section, moved) {
    var next = document.createElement('section');
    var text = headingText(section);
    if (text) {  // styled like a heading in a markdown cell
      var title = document.createElement('div');
      title.className = 'jp-RenderedHTMLCommon jp-RenderedMarkdown nnlesson-continued-heading';
      title.setAttribute('data-heading', text);
      var h = document.createElement('h2');
      h.textContent = text + ' (continued)';
      title.appendChild(h);
      next.appendChild(title);
    }
    moved.forEach(function (node) { next.appendChild(node); });
    section.querySelectorAll(':scope > aside.notes').forEach(function (notes) {
      next.appendChild(notes.cloneNode(true));
    });
    next.setAttribute('data-nnlesson-continued', 'true');
    section.parentNode.insertBefore(next, section.nextSibling);
    wrap(next);
    return next;
  }

  // Slides are top-aligned (the title slide is centred): a slide whose content reaches under
  // the arrows in the bottom-right corner is fitted again into the height above them.
  function fit(section, depth) {
    section.nnlessonHeight = H;
    layout(section, depth);
    if (section.isConnected && !section.classList.contains('center') && underCorner(section)) {
      section.nnlessonHeight = H - options.corner;
      layout(section, depth);
    }
  }

  // The smallest text of a slide at zoom 1 (code narrowed to the slide's width may be smaller).
  function smallestText(section) {
    var smallest = Infinity;
    var walker = document.createTreeWalker(fitBox(section), NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      var el = walker.currentNode.parentElement;
      if (!walker.currentNode.textContent.trim() || el.closest('mjx-assistive-mml')) continue;
      var px = parseFloat(getComputedStyle(el).fontSize) * (el.currentCSSZoom || 1);
      if (px < smallest) smallest = px;
    }
    return smallest;
  }

  function layout(section, depth) {
    var box = fitBox(section);
    box.style.zoom = '';
    narrowWideBlocks(section);
    // Zooming stops where the smallest text would get under MIN_TEXT_PX (and at MIN_ZOOM).
    var minZoom = Math.min(1, Math.max(options.minZoom,
                                       options.minTextPx / smallestText(section)));
    var limits = figureLimits(section);
    setLayout(section, limits, 1, 1);
    if (fits(section)) return;
    setLayout(section, limits, 0, 1);
    if (fits(section)) {
      var t = largest(0, 1, function (x) {
        setLayout(section, limits, x, 1); return fits(section); });
      setLayout(section, limits, t, 1);
      return;
    }
    setLayout(section, limits, 0, minZoom);
    if (fits(section)) {
      var z = largest(minZoom, 1, function (x) {
        setLayout(section, limits, 0, x); return fits(section); });
      setLayout(section, limits, 0, z);
      return;
    }
    var parts = units(section);
    if (parts.length > 1 && depth < 20) {
      var moved = [];
      while (parts.length > 1 && !fits(section)) {
        moved.unshift(parts.pop());
        moved[0].parentNode.removeChild(moved[0]);
      }
      var next = continuation(section, moved);
      fit(section, depth + 1);
      fit(next, depth + 1);
      return;
    }
    // One cell taller than a slide: its figures get smaller than their floor, else (or then)
    // the text is zoomed until it fits.
    if (limits.length) {
      setLayout(section, limits, -1, minZoom);
      if (fits(section)) {
        var below = largest(-1, 0, function (x) {
          setLayout(section, limits, x, minZoom); return fits(section); });
        setLayout(section, limits, below, minZoom);
        return;
      }
    }
    var zoom = largest(0.2, minZoom, function (x) {
      setLayout(section, limits, 0, x); return fits(section); });
    setLayout(section, limits, limits.length ? -1 : 0, zoom);
    section.setAttribute('data-nnlesson-zoom', zoom.toFixed(2));
  }

  reveal.classList.add('nnlesson-measuring');
  slidesBox.style.width = W + 'px';
  slidesBox.style.height = H + 'px';
  var all = leaves();
  all.forEach(wrap);
  if (all.length) all[0].classList.add('center');  // the title slide
  var pictures = Array.prototype.slice.call(document.querySelectorAll('.reveal img'));
  return Promise.all(pictures.map(function (img) {
    return img.decode ? img.decode().catch(function () {}) : Promise.resolve();
  })).then(function () {
    return document.fonts ? document.fonts.ready : null;
  }).then(function () {
    all.forEach(function (section) { fit(section, 0); });
  }).finally(function () {
    reveal.classList.remove('nnlesson-measuring');
    slidesBox.style.width = '';
    slidesBox.style.height = '';
  });
}
"""

DECK_TEMPLATE = r"""
{%- extends 'index.html.j2' -%}

{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}

{%- block html_head_css -%}
<style>
/* Keep headings as written: the white theme upper-cases them ("AdamW", not "ADAMW"). */
.reveal .slides h1, .reveal .slides h2, .reveal .slides h3, .reveal .slides h4 {
  text-transform: none;
}
/* The title slide (class "center", set by the fitting script) is centred, its text too. */
.reveal .slides section.center .jp-RenderedMarkdown h1,
.reveal .slides section.center .jp-RenderedMarkdown p { text-align: center; }
/* No empty page after the last slide when printing. */
html.print-pdf .reveal .slides .pdf-page:last-child { page-break-after: avoid; break-after: avoid; }

/* Contrast (WCAG AA, 4.5:1 for text): the slide number, white on #999 (2.84:1), gets a darker
   box (8.4:1). Code colours below 4.5:1 on the code background #f5f5f5 get a darker shade of
   the same hue (before -> after): numbers #080 (4.26 -> 5.81), comments #408080 (4.17 -> 5.16),
   operators and meta #a2f (4.40 -> 5.55), atoms #88f (2.75 -> 5.40), brackets #997
   (2.68 -> 5.01), errors #f00 (3.67 -> 5.23), quotes #090 (3.47 -> 5.09), type names #085
   (4.14 -> 5.99). */
.reveal .slide-number { background-color: rgba(0, 0, 0, 0.7); }
:root {
  --jp-mirror-editor-number-color: #007000;
  --jp-mirror-editor-comment-color: #3a7070;
  --jp-mirror-editor-operator-color: #9020e0;
  --jp-mirror-editor-meta-color: #9020e0;
  --jp-mirror-editor-atom-color: #5050e0;
  --jp-mirror-editor-bracket-color: #6b6b50;
  --jp-mirror-editor-error-color: #d00000;
  --jp-mirror-editor-quote-color: #007a00;
  --jp-mirror-editor-variable-3-color: #006b4f;
}

/* Slides are {{ resources.nnlesson.width }}x{{ resources.nnlesson.height }} CSS pixels: one
   pixel of a 1280x720 projector. The frame keeps the text off the screen's edges (the padding
   is on the frame, not the section, because reveal's print layout resets a section's). */
.reveal .nnlesson-frame { padding: 12px 40px; }
.reveal.nnlesson-measuring .slides section { display: block !important; visibility: hidden; }
/* Figures: the fitting script sets their width; the height follows. */
.reveal .slides img.nnlesson-figure { max-width: none; max-height: none; height: auto;
                                      display: block; margin: 0 auto; }
/* Code and printed output keep their lines: a line never wraps in the middle of a number. */
.reveal div.jp-OutputArea-output > pre, .reveal div.highlight > pre {
  white-space: pre; width: 100%; box-sizing: border-box; overflow: visible;
}
.reveal .nnlesson-controls { margin: 0.2em 0; }
/* A slide has no scroll bars and cuts nothing off: what is too big shows as too big, and the
   fitting script makes it fit. */
.reveal .nnlesson-fit *:not(svg):not(svg *) { overflow: visible !important; }
</style>
{%- endblock html_head_css -%}

{% block jupyter_widgets %}{% endblock jupyter_widgets %}

{%- block html_head_js_mathjax -%}
<script>
window.MathJax = {
  tex: {
    inlineMath: [['$', '$'], ['\\(', '\\)']],
    displayMath: [['$$', '$$'], ['\\[', '\\]']],
    processEscapes: true,
    processEnvironments: true,
    tags: 'ams'
  },
  svg: {fontCache: 'global'},
  options: {enableMenu: false}
};
</script>
<script src="{{ resources.nnlesson.mathjax_url }}"></script>
{%- endblock html_head_js_mathjax -%}

{% block data_png scoped %}
{%- set alt = output | get_metadata('alt', 'image/png') -%}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
{%- if alt %} alt="{{ alt | escape_html }}"{% endif %}>
</div>
{%- endblock data_png %}

{% block data_jpg scoped %}
{%- set alt = output | get_metadata('alt', 'image/jpeg') -%}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/jpeg;base64,{{ output.data['image/jpeg'] | escape_html }}"
{%- if alt %} alt="{{ alt | escape_html }}"{% endif %}>
</div>
{%- endblock data_jpg %}

{% block footer_js %}
<script>
""" + FIT_SCRIPT + r"""
require(
    {waitSeconds: 15},
    [
      "{{ resources.reveal.url_prefix }}/dist/reveal.js",
      "{{ resources.reveal.url_prefix }}/plugin/notes/notes.js"
    ],
    function (Reveal, RevealNotes) {
        window.Reveal = Reveal;
        Reveal.on('pdf-ready', function () {
            document.documentElement.setAttribute('data-pdf-ready', 'true');
        });
        var typeset = (window.MathJax && MathJax.startup && MathJax.startup.promise)
            || Promise.resolve();
        typeset.catch(function (err) { console.error(err); }).then(function () {
            return nnlessonFitSlides({
                width: {{ resources.nnlesson.width }},
                height: {{ resources.nnlesson.height }},
                minZoom: {{ resources.nnlesson.min_zoom }},
                minTextPx: {{ resources.nnlesson.min_text_px }},
                maxFigureScale: {{ resources.nnlesson.max_figure_scale }},
                corner: {{ resources.nnlesson.corner }}
            });
        }).catch(function (err) { console.error(err); }).then(function () {
            Reveal.initialize({
                controls: true,
                progress: true,
                history: true,
                center: false,
                transition: "{{ resources.reveal.transition }}",
                slideNumber: "{{ resources.reveal.number }}",
                width: {{ resources.nnlesson.width }},
                height: {{ resources.nnlesson.height }},
                margin: 0,
                pdfMaxPagesPerSlide: 1,
                pdfSeparateFragments: false,
                plugins: [RevealNotes]
            });
        });
    }
);
</script>
{% endblock footer_js %}
"""
