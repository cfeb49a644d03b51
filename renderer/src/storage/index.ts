/** The storage area's UI; other areas embed VolumePicker wherever a disk or ISO is chosen. */
export { StorageSection } from './StorageSection';
export { VolumePicker, type VolumePickerProps } from './VolumePicker';
export { TransfersList } from './TransfersList';
export { cancelTransfer, startUpload, type RunningUpload } from './upload';
export { useTransfers } from './use-transfers';
