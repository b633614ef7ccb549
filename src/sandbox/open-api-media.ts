/**
 * The Open API's media: downloading a resource from a received message
 * ("获取消息中的资源文件") and uploading images and files ("上传图片", "上传文件").
 */
import express from 'express';
import type { Request, Response } from 'express';
import { ApiError, ok, route } from './http.js';
import { boundaryOf, parseMultipart, type MultipartForm } from './multipart.js';
import { newResourceKey, type MessageRecord, type PlatformState, type Resource } from './store.js';
import { isObject, mimeForFile, queryString, sniffImage } from './util.js';

const IMAGE_MAX_BYTES = 10 * 1024 * 1024;
const FILE_MAX_BYTES = 30 * 1024 * 1024;
const FILE_TYPES = new Set(['opus', 'mp4', 'pdf', 'doc', 'xls', 'ppt', 'stream']);

export class MediaApi {
  constructor(private readonly state: PlatformState) {}

  mount(app: express.Express): void {
    app.get(
      '/open-apis/im/v1/messages/:message_id/resources/:file_key',
      route((req, res) => this.getResource(req, res)),
    );
    const multipart = express.raw({ type: 'multipart/form-data', limit: '64mb' });
    app.post(
      '/open-apis/im/v1/images',
      multipart,
      route((req, res) => this.uploadImage(req, res)),
    );
    app.post(
      '/open-apis/im/v1/files',
      multipart,
      route((req, res) => this.uploadFile(req, res)),
    );
  }

  private getResource(req: Request, res: Response): void {
    const type = queryString(req, 'type');
    if (type !== 'image' && type !== 'file') throw new ApiError(400, 99992402, 'field validation failed: type must be image or file');
    const msg = this.state.message(String(req.params['message_id']));
    const key = String(req.params['file_key']);
    if (!msg) throw new ApiError(400, 234003, `File not in msg: message ${String(req.params['message_id'])} not found.`);
    if (msg.msgType === 'interactive') throw new ApiError(400, 234043, 'Resources inside cards cannot be downloaded.');
    if (!(this.state.chat(msg.chatId)?.botIn ?? false)) throw new ApiError(400, 234004, 'App is not in the chat of this message.');
    const resource = this.state.resource(key);
    if (!resource || !keysIn(msg).includes(key)) throw new ApiError(400, 234003, 'File not in msg.');
    // "image" covers images; "file" covers files, audio and video.
    if ((type === 'image') !== (resource.kind === 'image')) {
      throw new ApiError(400, 234001, `Invalid request param: the resource is a ${resource.kind}, use type=${resource.kind}.`);
    }
    res.locals['code'] = 0;
    res.setHeader('Content-Type', resource.contentType);
    if (resource.fileName) {
      res.setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(resource.fileName)}`);
    }
    res.status(200).end(resource.bytes);
  }

  private uploadImage(req: Request, res: Response): void {
    const form = readMultipart(req);
    const imageType = form.fields['image_type'];
    if (imageType !== 'message' && imageType !== 'avatar') {
      throw new ApiError(400, 99992402, 'field validation failed: image_type must be message or avatar');
    }
    const file = form.files['image'];
    if (!file) throw new ApiError(400, 99992402, 'field validation failed: image is required');
    if (file.data.length === 0) throw new ApiError(400, 234010, 'File size is 0: an empty image cannot be uploaded.');
    if (file.data.length > IMAGE_MAX_BYTES) throw new ApiError(400, 234006, 'The file size exceeds the limit: images are at most 10 MB.');
    const contentType = sniffImage(file.data);
    if (!contentType) throw new ApiError(400, 234011, "Can't recognize image format.");
    const imageKey = newResourceKey('image');
    const resource: Resource = { kind: 'image', bytes: file.data, contentType };
    if (file.filename) resource.fileName = file.filename;
    this.state.addResource(imageKey, resource);
    ok(res, { image_key: imageKey });
  }

  private uploadFile(req: Request, res: Response): void {
    const form = readMultipart(req);
    const fileType = form.fields['file_type'];
    const fileName = form.fields['file_name'];
    if (!fileType || !FILE_TYPES.has(fileType)) {
      throw new ApiError(400, 99992402, 'field validation failed: file_type must be one of opus, mp4, pdf, doc, xls, ppt, stream');
    }
    if (!fileName) throw new ApiError(400, 99992402, 'field validation failed: file_name is required');
    const file = form.files['file'];
    if (!file) throw new ApiError(400, 99992402, 'field validation failed: file is required');
    if (file.data.length === 0) throw new ApiError(400, 234010, 'File size is 0: an empty file cannot be uploaded.');
    if (file.data.length > FILE_MAX_BYTES) throw new ApiError(400, 234006, 'The file size exceeds the limit: files are at most 30 MB.');
    const fileKey = newResourceKey('file');
    this.state.addResource(fileKey, { kind: 'file', bytes: file.data, contentType: mimeForFile(fileName, file.data), fileName });
    ok(res, { file_key: fileKey });
  }
}

/** The image and file keys a message's content names. */
function keysIn(msg: MessageRecord): string[] {
  const keys: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v)) {
      for (const k of ['image_key', 'file_key']) if (typeof v[k] === 'string') keys.push(v[k]);
      Object.values(v).forEach(walk);
    }
  };
  walk(msg.content);
  return keys;
}

function readMultipart(req: Request): MultipartForm {
  const boundary = boundaryOf(req.get('content-type'));
  if (!boundary || !Buffer.isBuffer(req.body)) {
    throw new ApiError(400, 99992402, 'field validation failed: the request must be multipart/form-data');
  }
  try {
    return parseMultipart(req.body, boundary);
  } catch (e) {
    throw new ApiError(400, 99992402, `field validation failed: ${(e as Error).message}`);
  }
}
