// Draw every chart of the page from its Vega-Lite spec with the bundled Vega scripts.
document.querySelectorAll("div.vega").forEach(function (element) {
  var spec = JSON.parse(document.getElementById(element.dataset.spec).textContent);
  vegaEmbed(element, spec, { actions: false, renderer: "svg" });
});
