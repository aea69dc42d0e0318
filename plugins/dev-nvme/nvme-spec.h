/*
 * nvme-spec.h - numbers of the NVM Express Base Specification 1.4 that the
 * controller model uses: register offsets and fields, opcodes, status
 * codes, feature and log page identifiers.  No code.
 */
#ifndef DEV_NVME_SPEC_H
#define DEV_NVME_SPEC_H

/* ---- Controller registers (3.1) ------------------------------------ */
enum {
    NVME_REG_CAP = 0x00,        /* 64-bit */
    NVME_REG_VS = 0x08,
    NVME_REG_INTMS = 0x0c,
    NVME_REG_INTMC = 0x10,
    NVME_REG_CC = 0x14,
    NVME_REG_CSTS = 0x1c,
    NVME_REG_NSSR = 0x20,
    NVME_REG_AQA = 0x24,
    NVME_REG_ASQ = 0x28,        /* 64-bit */
    NVME_REG_ACQ = 0x30,        /* 64-bit */
    NVME_REG_DOORBELLS = 0x1000,
};

/* CAP fields */
#define NVME_CAP_MQES_SHIFT     0       /* 15:0, 0-based */
#define NVME_CAP_CQR            (UINT64_C(1) << 16)
#define NVME_CAP_TO_SHIFT       24      /* 31:24, in 500 ms units */
#define NVME_CAP_DSTRD_SHIFT    32      /* 35:32 */
#define NVME_CAP_CSS_NVM        (UINT64_C(1) << 37)
#define NVME_CAP_MPSMIN_SHIFT   48      /* 51:48 */
#define NVME_CAP_MPSMAX_SHIFT   52      /* 55:52 */

#define NVME_VS_1_4             0x00010400u

/* CC fields */
#define NVME_CC_EN              (1u << 0)
#define NVME_CC_CSS(cc)         (((cc) >> 4) & 7)
#define NVME_CC_MPS(cc)         (((cc) >> 7) & 0xf)
#define NVME_CC_AMS(cc)         (((cc) >> 11) & 7)
#define NVME_CC_SHN(cc)         (((cc) >> 14) & 3)
#define NVME_CC_IOSQES(cc)      (((cc) >> 16) & 0xf)
#define NVME_CC_IOCQES(cc)      (((cc) >> 20) & 0xf)

/* CSTS fields */
#define NVME_CSTS_RDY           (1u << 0)
#define NVME_CSTS_CFS           (1u << 1)
#define NVME_CSTS_SHST_MASK     (3u << 2)
#define NVME_CSTS_SHST_OCCURRING (1u << 2)
#define NVME_CSTS_SHST_COMPLETE (2u << 2)

/* AQA fields, 0-based sizes */
#define NVME_AQA_ASQS(aqa)      ((aqa) & 0xfff)
#define NVME_AQA_ACQS(aqa)      (((aqa) >> 16) & 0xfff)

/* Queue entry sizes: log2 of the bytes */
#define NVME_SQES_LOG2          6       /* 64-byte commands */
#define NVME_CQES_LOG2          4       /* 16-byte completions */
#define NVME_SQE_SIZE           64
#define NVME_CQE_SIZE           16

/* ---- Admin command set (5) ------------------------------------------ */
enum {
    NVME_ADM_DELETE_SQ = 0x00,
    NVME_ADM_CREATE_SQ = 0x01,
    NVME_ADM_GET_LOG_PAGE = 0x02,
    NVME_ADM_DELETE_CQ = 0x04,
    NVME_ADM_CREATE_CQ = 0x05,
    NVME_ADM_IDENTIFY = 0x06,
    NVME_ADM_ABORT = 0x08,
    NVME_ADM_SET_FEATURES = 0x09,
    NVME_ADM_GET_FEATURES = 0x0a,
    NVME_ADM_ASYNC_EVENT = 0x0c,
};

/* Identify CNS values */
enum {
    NVME_CNS_NS = 0x00,
    NVME_CNS_CTRL = 0x01,
    NVME_CNS_ACTIVE_NS_LIST = 0x02,
    NVME_CNS_NS_DESC_LIST = 0x03,
    NVME_CNS_CS_CTRL = 0x06,            /* I/O command set specific */
};
#define NVME_CSI_NVM            0x00

/* Feature identifiers */
enum {
    NVME_FEAT_ARBITRATION = 0x01,
    NVME_FEAT_POWER_MGMT = 0x02,
    NVME_FEAT_TEMP_THRESHOLD = 0x04,
    NVME_FEAT_ERROR_RECOVERY = 0x05,
    NVME_FEAT_VOLATILE_WC = 0x06,
    NVME_FEAT_NUM_QUEUES = 0x07,
    NVME_FEAT_IRQ_COALESCING = 0x08,
    NVME_FEAT_IRQ_VECTOR_CONFIG = 0x09,
    NVME_FEAT_WRITE_ATOMICITY = 0x0a,
    NVME_FEAT_ASYNC_EVENT_CONFIG = 0x0b,
};

/* Log pages */
enum {
    NVME_LOG_ERROR = 0x01,
    NVME_LOG_SMART = 0x02,
    NVME_LOG_FW_SLOT = 0x03,
    NVME_LOG_CHANGED_NS = 0x04,
};

/* Asynchronous event types and the error-type informations we raise */
enum {
    NVME_AER_TYPE_ERROR = 0,
    NVME_AER_TYPE_SMART = 1,
    NVME_AER_TYPE_NOTICE = 2,
};
enum {
    NVME_AER_INFO_ERR_INVALID_DB_REG = 0x00,
    NVME_AER_INFO_ERR_INVALID_DB_VALUE = 0x01,
};

/* ---- NVM command set (6) --------------------------------------------- */
enum {
    NVME_CMD_FLUSH = 0x00,
    NVME_CMD_WRITE = 0x01,
    NVME_CMD_READ = 0x02,
    NVME_CMD_WRITE_ZEROES = 0x08,
    NVME_CMD_DSM = 0x09,
};

#define NVME_RW_FUA             (1u << 30)      /* CDW12 */
#define NVME_WZ_DEAC            (1u << 25)      /* CDW12 */
#define NVME_DSM_AD             (1u << 2)       /* CDW11 */
#define NVME_DSM_RANGE_SIZE     16
#define NVME_DSM_RANGES_MAX     256

#define NVME_NSID_BROADCAST     0xffffffffu

/* ---- Status: (type << 8) | code, as in the status field (4.6.1) ------ */
#define NVME_SCT_GENERIC        0x000
#define NVME_SCT_CMD_SPECIFIC   0x100
#define NVME_SCT_MEDIA          0x200
#define NVME_DNR                0x4000  /* do not retry */

enum {
    NVME_SUCCESS = 0x00,
    NVME_INVALID_OPCODE = 0x01,
    NVME_INVALID_FIELD = 0x02,
    NVME_DATA_TRANSFER_ERROR = 0x04,
    NVME_INTERNAL_ERROR = 0x06,
    NVME_CMD_ABORT_SQ_DELETION = 0x08,
    NVME_INVALID_NSID = 0x0b,
    NVME_PRP_OFFSET_INVALID = 0x13,
    NVME_NS_WRITE_PROTECTED = 0x20,
    NVME_LBA_RANGE = 0x80,
    NVME_CAPACITY_EXCEEDED = 0x81,

    NVME_CQ_INVALID = NVME_SCT_CMD_SPECIFIC | 0x00,
    NVME_INVALID_QID = NVME_SCT_CMD_SPECIFIC | 0x01,
    NVME_INVALID_QSIZE = NVME_SCT_CMD_SPECIFIC | 0x02,
    NVME_AER_LIMIT_EXCEEDED = NVME_SCT_CMD_SPECIFIC | 0x05,
    NVME_INVALID_IRQ_VECTOR = NVME_SCT_CMD_SPECIFIC | 0x08,
    NVME_INVALID_LOG_PAGE = NVME_SCT_CMD_SPECIFIC | 0x09,
    NVME_INVALID_QUEUE_DELETION = NVME_SCT_CMD_SPECIFIC | 0x0c,
    NVME_FEAT_NOT_SAVEABLE = NVME_SCT_CMD_SPECIFIC | 0x0d,

    NVME_WRITE_FAULT = NVME_SCT_MEDIA | 0x80,
    NVME_UNRECOVERED_READ = NVME_SCT_MEDIA | 0x81,
};

/* Identify data sizes */
#define NVME_IDENTIFY_BYTES     4096

#endif
