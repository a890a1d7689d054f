// Search target names (the index page): SEARCH_INDEX holds [page, name, other names] per target.
(function () {
  var box = document.getElementById("search"), list = document.getElementById("search-results");
  box.addEventListener("input", function () {
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    list.replaceChildren();
    if (!words.length) return;
    window.SEARCH_INDEX.filter(function (row) {
      var text = (row[1] + " " + row[2].join(" ")).toLowerCase();
      return words.every(function (word) { return text.includes(word); });
    }).slice(0, 50).forEach(function (row) {
      var item = document.createElement("li"), link = document.createElement("a");
      link.href = row[0];
      link.textContent = row[1];
      item.appendChild(link);
      list.appendChild(item);
    });
  });
})();
