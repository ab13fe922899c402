extension BoardAssets {
    /// `/`: the page's frame. Everything in it is filled in by `/board/app.js`;
    /// `{{lang}}` and `{{title}}` are set by the server so the first paint is in
    /// the asked language (`?lang=zh`, the default, or `?lang=en`).
    static let page = #"""
<!doctype html>
<html lang="{{lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{title}}</title>
<link rel="icon" href="/board/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/board/board.css">
<script type="module" src="/board/app.js"></script>
</head>
<body data-state="loading">
<a class="skip" href="#main" data-i18n="skip">Skip to content</a>
<header class="top">
  <div class="brand">
    <img src="/board/icon.svg" alt="" width="32" height="32">
    <div>
      <h1 id="community-name" data-i18n="board">Community board</h1>
      <p class="sub"><span id="live" class="live" data-live="off" role="status" aria-live="polite"></span> <span id="head"></span></p>
    </div>
  </div>
  <div class="tools">
    <button type="button" id="key-button" class="secondary" aria-haspopup="dialog"></button>
    <button type="button" id="lang-button" class="secondary"></button>
  </div>
</header>
<nav aria-label="sections" id="nav">
  <ul>
    <li><a href="#notices" data-view="notices" data-i18n="tabNotices">Notices</a></li>
    <li><a href="#proposals" data-view="proposals" data-i18n="tabProposals">Proposals</a></li>
    <li><a href="#requests" data-view="requests" data-i18n="tabRequests">Service requests</a></li>
    <li><a href="#providers" data-view="providers" data-i18n="tabProviders">Supervision</a></li>
    <li><a href="#points" data-view="points" data-i18n="tabPoints">Volunteer points</a></li>
    <li><a href="#blocks" data-view="blocks" data-i18n="tabBlocks">Blocks</a></li>
  </ul>
</nav>
<div id="me" class="me" hidden></div>
<div id="alert" class="alert" role="alert" hidden></div>
<div id="result" class="result" role="status" aria-live="polite" tabindex="-1" hidden></div>
<main id="main" tabindex="-1">
  <p class="loading" data-i18n="loading">Loading…</p>
</main>
<footer>
  <p id="trust"></p>
  <p id="selftest" class="muted"></p>
</footer>
<dialog id="key-dialog" aria-labelledby="key-title">
  <form method="dialog" id="key-form">
    <h2 id="key-title" data-i18n="keyTitle">Open your key</h2>
    <p class="muted" data-i18n="keyHelp">Your key stays in this browser.</p>
    <div id="saved-keys"></div>
    <fieldset>
      <legend data-i18n="keyFileLegend">Key file</legend>
      <label for="key-file" data-i18n="keyFile">Key file (.pem)</label>
      <input type="file" id="key-file" accept=".pem,.key,.txt,application/x-pem-file">
      <label for="key-pem" data-i18n="keyPaste">Or paste the key</label>
      <textarea id="key-pem" rows="4" spellcheck="false" autocomplete="off" autocapitalize="off"></textarea>
      <div class="check">
        <input type="checkbox" id="key-remember">
        <label for="key-remember" data-i18n="keyRemember">Keep a passphrase-protected copy in this browser</label>
      </div>
      <label for="key-passphrase" data-i18n="keyPassphrase">Passphrase (at least 8 characters)</label>
      <input type="password" id="key-passphrase" autocomplete="new-password" minlength="8">
    </fieldset>
    <p id="key-status" class="status" role="status" aria-live="polite"></p>
    <div class="actions">
      <button type="button" id="key-open" data-i18n="keyOpen">Open key</button>
      <button type="button" id="key-cancel" class="secondary" data-i18n="cancel">Cancel</button>
    </div>
  </form>
</dialog>
</body>
</html>
"""#
}
