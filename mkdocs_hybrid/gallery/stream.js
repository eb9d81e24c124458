// Thread pages: a long recording plays as HLS (gallery/streaming.py). Per <video data-hg-hls>, when its
// <details> is opened: the browser's own HLS where canPlayType says so, else the pinned hls.js (this script's
// data-hg-hls-js, loaded once, on demand) where MediaSource exists, else the MP4 already in src. A fatal
// hls.js error goes back to the MP4. data-hg-hls-mode says which one plays (native, hls.js or mp4).
(function () {
  "use strict";
  var script = document.currentScript;
  var hlsJs = script && script.getAttribute("data-hg-hls-js");
  var loading = null;

  function loadHls() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = hlsJs;
        tag.onload = function () { resolve(window.Hls); };
        tag.onerror = reject;
        document.head.appendChild(tag);
      });
    }
    return loading;
  }

  function useMp4(video, mp4) {
    if (video.getAttribute("src") !== mp4) video.setAttribute("src", mp4);
    video.setAttribute("data-hg-hls-mode", "mp4");
  }

  function start(video) {
    if (video.hasAttribute("data-hg-hls-mode")) return;
    var playlist = video.getAttribute("data-hg-hls");
    var mp4 = video.getAttribute("src");
    if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.setAttribute("src", playlist);
      video.setAttribute("data-hg-hls-mode", "native");
      return;
    }
    if (!hlsJs || !(window.ManagedMediaSource || window.MediaSource)) {
      useMp4(video, mp4);
      return;
    }
    video.setAttribute("data-hg-hls-mode", "loading");
    loadHls().then(function (Hls) {
      if (!Hls || !Hls.isSupported()) {
        useMp4(video, mp4);
        return;
      }
      var hls = new Hls({ enableWorker: false, capLevelToPlayerSize: true });
      hls.on(Hls.Events.ERROR, function (event, data) {
        if (!data.fatal) return;
        hls.destroy();
        video.hgHls = null;
        useMp4(video, mp4);
      });
      video.removeAttribute("src");
      video.load();
      hls.loadSource(playlist);
      hls.attachMedia(video);
      video.hgHls = hls;
      video.setAttribute("data-hg-hls-mode", "hls.js");
    }, function () { useMp4(video, mp4); });
  }

  function watch(video) {
    var details = video.closest("details");
    if (!details) {
      start(video);
      return;
    }
    if (details.open) start(video);
    details.addEventListener("toggle", function () { if (details.open) start(video); });
  }

  var videos = document.querySelectorAll("video[data-hg-hls]");
  for (var i = 0; i < videos.length; i++) watch(videos[i]);
})();
