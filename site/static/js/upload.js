// The upload page: choose, drop or paste files; each gets a card with a preview,
// its own caption and shop fields, a progress bar and its result. Each file is
// checked in the browser (type, size, pixels, with the server's exact limits),
// then sent on its own request; at the end a grid links to every stored image.
// Without this script the form posts as usual. User text goes in via textContent.


const form = document.querySelector("[data-upload-form]");

const ACCEPTED_TYPES = new Map([
  ["image/jpeg", [0xff, 0xd8, 0xff]],
  ["image/png", [0x89, 0x50, 0x4e, 0x47]],
  ["image/gif", [0x47, 0x49, 0x46, 0x38]],
  ["image/webp", [0x52, 0x49, 0x46, 0x46]],
]);
const FIELDS = ["caption", "shop_url", "shop_title"];

// The same rule as gallery/formats.py human_size: binary units, one decimal at most.
function formatSize(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Math.round(value * 10) / 10} ${units[unit]}`;
}

async function sniffType(file) {
  // Decide by the first bytes, as the server does, not by the name or the browser's guess.
  const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
  for (const [type, magic] of ACCEPTED_TYPES) {
    if (magic.every((byte, i) => head[i] === byte)) {
      if (type === "image/webp" && String.fromCharCode(...head.slice(8, 12)) !== "WEBP") continue;
      return type;
    }
  }
  return null;
}

async function declaredSize(file, type) {
  // The width and height a PNG or GIF header declares, read without decoding: a
  // picture too large to decode (a pixel bomb) must still be refused by its size,
  // and the browser may give up on decoding one before it says how big it is.
  const head = new DataView(await file.slice(0, 24).arrayBuffer());
  if (type === "image/png" && head.byteLength >= 24) return [head.getUint32(16), head.getUint32(20)];
  if (type === "image/gif" && head.byteLength >= 10) {
    return [head.getUint16(6, true), head.getUint16(8, true)];
  }
  return null;
}

function imageSize(url) {
  return new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve([img.naturalWidth, img.naturalHeight]);
    img.onerror = () => resolve(null);
    img.src = url;
  });
}

class UploadPage {
  constructor(root) {
    this.form = root;
    this.input = root.querySelector("[data-file-input]");
    this.dropzone = root.querySelector("[data-dropzone]");
    this.submit = root.querySelector("[data-upload-submit]");
    this.album = root.querySelector("[data-album-select]");
    this.list = document.querySelector("[data-upload-list]");
    this.results = document.querySelector("[data-upload-results]");
    this.grid = document.querySelector("[data-upload-grid]");
    this.itemTemplate = document.querySelector("[data-upload-item]");
    this.tileTemplate = document.querySelector("[data-upload-tile]");
    this.text = document.querySelector("[data-upload-messages]").dataset;
    this.limits = {
      bytes: Number(root.dataset.maxBytes),
      pixels: Number(root.dataset.maxPixels),
      files: Number(root.dataset.maxFiles),
    };
    this.csrf = document.querySelector('meta[name="csrf-token"]').content;
    this.entries = [];
    this.pasted = 0;
    this.busy = false;
    // The script sends the files itself, so the input may be empty when the form is sent.
    this.input.required = false;
    this.bind();
  }

  bind() {
    this.input.addEventListener("change", () => {
      this.add(Array.from(this.input.files));
      this.input.value = "";
    });
    for (const name of ["dragenter", "dragover"]) {
      this.dropzone.addEventListener(name, (event) => {
        event.preventDefault();
        this.dropzone.classList.add("is-over");
      });
    }
    for (const name of ["dragleave", "drop"]) {
      this.dropzone.addEventListener(name, () => this.dropzone.classList.remove("is-over"));
    }
    this.dropzone.addEventListener("drop", (event) => {
      event.preventDefault();
      if (event.dataTransfer?.files?.length) this.add(Array.from(event.dataTransfer.files));
    });
    document.addEventListener("paste", (event) => {
      const files = Array.from(event.clipboardData?.files || []).filter((file) =>
        file.type.startsWith("image/"),
      );
      if (!files.length) return;
      event.preventDefault();
      this.add(
        files.map((file) => {
          this.pasted += 1;
          const extension = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
          return new File([file], `${this.text.pasted} ${this.pasted}.${extension}`, { type: file.type });
        }),
      );
    });
    this.list.addEventListener("click", (event) => {
      const button = event.target.closest("[data-remove-file]");
      if (!button || this.busy) return;
      const node = button.closest(".g-upload-item");
      const entry = this.entries.find((item) => item.node === node);
      if (!entry || entry.done) return;
      URL.revokeObjectURL(entry.url);
      node.remove();
      this.entries = this.entries.filter((item) => item !== entry);
      this.renumber();
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.uploadAll();
    });
  }

  add(files) {
    if (this.busy) return;
    for (const file of files) {
      const url = URL.createObjectURL(file);
      const entry = { file, url, node: this.renderItem(file, url), error: null };
      this.entries.push(entry);
      entry.checked = this.check(entry);
    }
    this.renumber();
  }

  renumber() {
    // Files beyond the per-request limit of the plain form are refused here too.
    this.entries
      .filter((entry) => !entry.done)
      .forEach((entry, index) => {
        if (index >= this.limits.files && !entry.error) {
          entry.error = this.text.tooMany;
          entry.checked.then(() => this.showError(entry.node, entry.error));
        }
      });
    document.querySelector("[data-shared-note]").hidden = this.entries.length === 0;
  }

  renderItem(file, url) {
    const node = this.itemTemplate.content.firstElementChild.cloneNode(true);
    node.querySelector("[data-name]").textContent = file.name;
    node.querySelector("[data-size]").textContent = formatSize(file.size);
    node.querySelector("[data-result]").textContent = this.text.checking;
    const preview = node.querySelector("[data-preview]");
    preview.alt = file.name;
    this.list.append(node);
    node.dataset.previewUrl = url;
    return node;
  }

  async check(entry) {
    const { file } = entry;
    if (!entry.error && file.size > this.limits.bytes) entry.error = this.text.size;
    const type = entry.error ? null : await sniffType(file);
    if (!entry.error && !type) entry.error = this.text.type;
    if (!entry.error) {
      const declared = await declaredSize(file, type);
      const tooLarge = declared && declared[0] * declared[1] > this.limits.pixels;
      const size = tooLarge ? declared : await imageSize(entry.url);
      if (!size) entry.error = this.text.unreadable;
      else if (size[0] * size[1] > this.limits.pixels) {
        entry.error = this.text.pixels.replace("{dims}", `${size[0]}×${size[1]}`);
      } else {
        entry.node.querySelector("[data-preview]").src = entry.url;
      }
    }
    if (entry.error) this.showError(entry.node, entry.error);
    else this.setResult(entry.node, this.text.waiting);
  }

  async uploadAll() {
    if (this.busy) return;
    if (!this.entries.length && this.input.files.length) this.add(Array.from(this.input.files));
    await Promise.all(this.entries.map((entry) => entry.checked));
    this.busy = true;
    this.submit.disabled = true;
    for (const entry of this.entries) {
      if (!entry.error && !entry.done) await this.uploadOne(entry);
    }
    this.busy = false;
    this.submit.disabled = false;
  }

  field(entry, name) {
    // A card's own value, else the shared one above.
    const own = entry.node.querySelector(`[data-field="${name}"]`).value.trim();
    return own || this.form.elements[name].value;
  }

  uploadOne(entry) {
    const data = new FormData();
    data.append("file", entry.file, entry.file.name);
    for (const name of FIELDS) data.append(name, this.field(entry, name));
    if (this.album?.value) data.append("album_id", this.album.value);
    const bar = entry.node.querySelector("[data-bar]");
    const progress = entry.node.querySelector("[data-progress]");
    for (const input of entry.node.querySelectorAll("[data-field]")) input.disabled = true;
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", this.form.dataset.apiUrl);
      xhr.setRequestHeader("X-CSRFToken", this.csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.responseType = "json";
      xhr.upload.addEventListener("progress", (event) => {
        if (!event.lengthComputable) return;
        const percent = Math.round((event.loaded / event.total) * 100);
        bar.style.width = `${percent}%`;
        progress.setAttribute("aria-valuenow", String(percent));
      });
      xhr.addEventListener("load", () => {
        bar.style.width = "100%";
        entry.done = true;
        const body = xhr.response || {};
        if (xhr.status === 201) {
          this.showLink(entry.node, "is-done", this.text.done, this.text.view, body.url);
          this.addTile(body);
        } else if (xhr.status === 200 && body.duplicate) {
          this.showLink(entry.node, "is-duplicate", this.text.duplicate, this.text.existing, body.url);
          this.addTile(body);
        } else {
          entry.done = false;
          for (const input of entry.node.querySelectorAll("[data-field]")) input.disabled = false;
          this.showError(entry.node, body.message || `${xhr.status} ${xhr.statusText}`);
        }
        resolve();
      });
      xhr.addEventListener("error", () => {
        entry.done = false;
        this.showError(entry.node, this.text.network);
        resolve();
      });
      xhr.send(data);
    });
  }

  addTile(card) {
    const node = this.tileTemplate.content.firstElementChild.cloneNode(true);
    node.href = card.url;
    const img = node.querySelector("[data-tile-img]");
    img.src = card.thumb_url;
    img.alt = card.caption || "";
    node.querySelector("[data-tile-caption]").textContent = card.caption || "";
    this.grid.append(node);
    this.results.hidden = false;
  }

  setResult(node, text) {
    node.classList.remove("is-error");
    const result = node.querySelector("[data-result]");
    result.classList.remove("text-danger");
    result.textContent = text;
  }

  showError(node, message) {
    node.classList.add("is-error");
    const result = node.querySelector("[data-result]");
    result.textContent = `${this.text.failed} ${message}`;
    result.classList.add("text-danger");
  }

  showLink(node, state, label, linkText, href) {
    node.classList.remove("is-error");
    node.classList.add(state);
    const result = node.querySelector("[data-result]");
    result.classList.remove("text-danger");
    const link = document.createElement("a");
    link.href = href;
    link.textContent = linkText;
    result.replaceChildren(document.createTextNode(`${label} `), link);
  }
}

if (form) new UploadPage(form);

